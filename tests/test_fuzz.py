"""Property-based fuzzing of the loader and `--set`: every input ends as a valid Scenario or a one-line ScenarioError.

Inputs are built from a valid base scenario (keys removed, values replaced by random values, unknown keys added),
from random YAML text (the base file with lines broken, YAML oddities spliced in) and from random `--set` strings.
Any exception other than `ScenarioError` is a defect. Profiles are derandomised, so the run is reproducible and fast;
the number of examples run is printed at the end of the module.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import string
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor_sim import loader
from corridor_sim.cli import main
from corridor_sim.errors import ScenarioError
from corridor_sim.loader import load_scenario, resolved_dict, validate
from corridor_sim.schema import Scenario


def fuzz(examples: int) -> settings:
    """A fixed, derandomised profile: the same examples every run, no example database, no deadline."""
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )


EXAMPLES: Counter[str] = Counter()
ROOT = Path(__file__).resolve().parents[1]

BASE_TEXT = """\
name: fuzzbase
sources:
  S1: {title: Port statistics, year: 2023}
simulation: {duration: 60d, warmup: 5d, cooldown: 20d, seed: 3, replications: 1, start: 2023-01-01}
network:
  nodes:
    a: {role: terminal, handling: {servers: 1, time: 2h}, lat: 43.2, lon: 76.9}
    b: {role: border, handling: {servers: 2, time: {dist: exponential, mean: 10h}}}
    p: {role: port, handling: {servers: 1, time: 3h}, berths: 1}
    q: {role: port, formation: {train_size: 50, max_wait: 48h}, handling: {servers: 1, time: 3h}}
    z: {role: terminal}
  segments:
    ab: {from: a, to: b, distance: {value: 800km, source: S1}, speed: 800km/d, trains_per_day: 6}
    bp: {from: b, to: p, distance: 1200km, speed: {dist: uniform, low: 500km/d, high: 900km/d}}
    pq:
      from: p
      to: q
      mode: ferry
      vessels: [{capacity_teu: 200, count: 2}]
      crossing_time: {dist: triangular, low: 18h, mode: 20h, high: 30h}
      load_time: 6h
      departure: {rule: when_full, max_wait: 72h}
    qz: {from: q, to: z, distance: 300km, speed: 40km/h, estimate: true}
  rolling_stock:
    wagons: {segments: [ab, bp], sets: 20, return_time: 3d}
demand:
  flows:
    f1: {origin: a, destination: z, teu_per_year: 15000, containers_per_train: 50,
         monthly_factor: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.2, 1.2]}
disruptions:
  storm: {target: pq, every: {dist: exponential, mean: 20d}, duration: {dist: lognormal, mean: 2d, cv: 0.5},
          months: [11, 12, 1]}
published:
  - {destination: z, low: 5d, high: 9d, label: operator}
interventions:
  faster: {description: more wagons, cost: 5, set: {network.rolling_stock.wagons.sets: 30}}
"""
BASE: dict[str, Any] = yaml.safe_load(BASE_TEXT)
NAMES = ["a", "b", "p", "q", "z", "ab", "bp", "pq", "qz", "f1", "S1", "wagons", "storm", "nowhere"]
FIELDS = [
    "name",
    "role",
    "handling",
    "servers",
    "time",
    "dist",
    "mean",
    "cv",
    "low",
    "high",
    "mode",
    "value",
    "from",
    "to",
    "distance",
    "speed",
    "travel_time",
    "trains_per_day",
    "vessels",
    "capacity_teu",
    "count",
    "crossing_time",
    "return_time",
    "departure",
    "rule",
    "every",
    "max_wait",
    "fill",
    "train_size",
    "formation",
    "berths",
    "origin",
    "destination",
    "path",
    "teu_per_year",
    "trains_per_week",
    "duration",
    "warmup",
    "cooldown",
    "seed",
    "replications",
    "monitor_interval",
    "source",
    "estimate",
    "note",
    "extends",
    "segments",
    "sets",
    "target",
    "months",
    "weights",
    "values",
    "load_factor",
    "sd",
]
UNITS = ["h", "d", "min", "w", "s", "km", "m", "km/h", "km/d", "kn", "", "hours", "H", "parsec", "/", "d/d"]


def _quantities() -> st.SearchStrategy[str]:
    number = st.one_of(
        st.integers(-(10**6), 10**6).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["1e400", "-0", ".5", "5.", "1e-400", "0x10", "1_000", "nan", "inf"]),
    )
    return st.builds(lambda n, sp, u: f"{n}{sp}{u}", number, st.sampled_from(["", " ", "  "]), st.sampled_from(UNITS))


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    _quantities(),
    st.sampled_from(NAMES),
    st.sampled_from(FIELDS),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.sampled_from(
        [
            "fixed",
            "uniform",
            "triangular",
            "normal",
            "lognormal",
            "exponential",
            "empirical",
            "ferry",
            "sea",
            "rail",
            "port",
            "timetable",
            "when_full",
            "poisson",
        ]
    ),
)
KEYS = st.one_of(st.sampled_from(FIELDS), st.sampled_from(NAMES), st.text(max_size=8), st.integers(-3, 3))
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=8
)


def _like(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int | float):
        return st.integers(-2, 10**6) | st.floats(-1.0, 1e7)
    if isinstance(value, str) and value[:1].isdigit():
        return st.builds(lambda x, u: f"{x:g}{u}", st.floats(0, 1e4), st.sampled_from(["h", "d", "km", "km/h", "km/d"]))
    if isinstance(value, str):
        return st.sampled_from(NAMES)
    return VALUES


def _paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield (*prefix, k)
        yield from _paths(v, (*prefix, k))


def _get(node: Any, path: tuple) -> Any:
    for k in path:
        node = node[k]
    return node


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """The base scenario with 1-3 random edits: replace a value, delete a key or item, add a key."""
    raw = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(raw))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _get(raw, path[:-1]), path[-1]
        op = draw(st.sampled_from(["tweak", "tweak", "replace", "delete", "add"]))
        if op == "tweak":  # a plausible value of the same kind, so many mutants stay valid and reach the network
            parent[last] = draw(_like(parent[last]))
        elif op == "replace":
            parent[last] = draw(VALUES)
        elif op == "delete":
            del parent[last]
        else:
            target = parent[last] if isinstance(parent[last], dict) else parent
            if isinstance(target, dict):
                target[draw(KEYS)] = draw(VALUES)
            else:
                target.append(draw(VALUES))
    return raw


def _check_error(exc: ScenarioError, file: str, need_key: bool = True) -> None:
    text = str(exc)
    assert "\n" not in text and "\r" not in text, f"not one line: {text!r}"
    assert text.startswith(f"{file}: "), f"does not name the file {file!r}: {text!r}"
    assert exc.message.strip(), f"empty message: {text!r}"
    if need_key:
        assert exc.key, f"no key path: {text!r}"
        shown = exc.key if exc.key.isprintable() else repr(exc.key)
        assert f": {shown}: " in f": {text}", f"key path not in the message: {text!r}"


def _outcome(kind: str, call: Callable[[], Scenario], file: str, need_key: Callable[[ScenarioError], bool]) -> None:
    EXAMPLES[kind] += 1
    try:
        scenario = call()
    except ScenarioError as exc:
        _check_error(exc, file, need_key(exc))
        EXAMPLES[f"{kind}: scenario error"] += 1
        return
    assert isinstance(scenario, Scenario)
    # a valid scenario must re-load from its resolved form to the same model (what a run writes beside results)
    # a valid scenario must re-load from its resolved form (what a run writes beside its results) to the same model;
    # the free-form values of an intervention's `set` come back as JSON would write them, so there only the text
    again = validate(resolved_dict(scenario))
    assert resolved_dict(again) == resolved_dict(scenario)
    assert again.model_copy(update={"interventions": {}}) == scenario.model_copy(update={"interventions": {}})
    EXAMPLES[f"{kind}: valid"] += 1


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    line = "fuzz examples run: " + ", ".join(f"{k} {v}" for k, v in sorted(EXAMPLES.items()))
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")


def test_base_scenario_is_valid() -> None:
    scenario = validate(copy.deepcopy(BASE), "base.yaml")
    assert scenario.network.segments["ab"].distance == 800.0
    assert "network.segments.ab.distance" in scenario.provenance


@fuzz(600)
@given(raw=mutated())
def test_validate_mutated_mappings(raw: dict[str, Any]) -> None:
    _outcome("validate(mutated mapping)", lambda: validate(raw, "fuzz.yaml"), "fuzz.yaml", lambda exc: True)


YAML_GADGETS = [
    "{[a]: 1}",
    "? [a, b]\n: 1",
    "&x [*x]",
    "&x {k: *x}",
    "*undefined",
    "<<: {a: 1}",
    "!!binary '%%%'",
    "!!python/object/apply:os.system ['true']",
    "2023-13-45",
    "2023-02-30",
    "1e999",
    ".nan",
    "-.inf",
    "~",
    "\t",
    "---\n---",
    "%YAML 9.9\n---",
    "\ufeff",
    "'unterminated",
    '"\\x"',
    "[1, 2",
    "{a: 1",
    "a: b: c",
    "- - -",
    "extends: \x00",
    "extends: " + "x" * 300,
    "extends: .",
    "extends: [a]",
    "extends: fuzzbase.yaml",
    "null",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!int 0b2",
    "key: !!float abc",
    "&a a: *a",
    "{? {a: 1}: 1}",
]


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """Random YAML: the base text with lines dropped, duplicated or replaced, gadgets spliced in, or plain noise."""
    kind = draw(st.sampled_from(["lines", "lines", "dump", "noise"]))
    if kind == "noise":
        return draw(
            st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
            | st.text(alphabet=string.printable, max_size=200)
        )
    if kind == "dump":
        return yaml.safe_dump(draw(mutated()), sort_keys=False, allow_unicode=True)
    lines = BASE_TEXT.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "gadget", "gadget_value", "noise", "dedent"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "gadget":
            lines.insert(i, draw(st.sampled_from(YAML_GADGETS)))
        elif op == "gadget_value" and ":" in lines[i]:
            head = lines[i].split(":", 1)[0]
            lines[i] = f"{head}: {draw(st.sampled_from(YAML_GADGETS))}"
        elif op == "noise":
            lines[i] = draw(st.text(alphabet=string.printable, max_size=30))
        else:
            lines[i] = lines[i].lstrip()
    return "\n".join(lines) + "\n"


def _file_level(exc: ScenarioError) -> bool:
    """Errors about the file as a whole (YAML syntax, empty, not a mapping) name a line, not a key path."""
    return not exc.message.startswith(("invalid YAML", "file is empty", "top level", "line ", "cannot read"))


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "fuzzbase.yaml").write_text(BASE_TEXT, encoding="utf-8")
    return folder


@fuzz(300)
@given(text=yaml_texts())
def test_load_scenario_random_yaml(text: str, fuzz_dir: Path) -> None:
    path = fuzz_dir / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _outcome("load_scenario(random YAML)", lambda: load_scenario(path), str(path), _file_level)


SET_PATHS = sorted(
    {".".join(str(p) for p in path) for path in _paths(BASE)}
    | {
        "simulation.nosuch",
        "network.nodes.a.handling.servrs",
        "published.5.low",
        "published.-1.low",
        "published.x.low",
        "network.vessels",
        "name.sub",
        "demand.flows.f1.monthly_factor.12",
        "a..b",
        ".",
        "",
        "published.\u00b2.low",
        "provenance.x",
        "simulation.seed.x",
        "network.segments.pq.vessels.0.capacity_teu",
    }
)


@st.composite
def set_lists(draw: st.DrawFn) -> list[str]:
    out = []
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.text(max_size=30)))
            continue
        key = draw(
            st.sampled_from(SET_PATHS)
            if draw(st.integers(0, 3))
            else st.text(alphabet=string.ascii_letters + "._0123456789", max_size=20)
        )
        try:  # half the time a plausible value for an existing key, so overrides also reach the schema and network
            current = _get(BASE, tuple(int(p) if p.isdigit() else p for p in key.split(".")))
            like = _like(current) if draw(st.integers(0, 3)) else st.nothing()
        except (KeyError, IndexError, TypeError, ValueError):
            like = st.nothing()
        value = draw(
            like.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip())
            if not like.is_empty
            else st.one_of(
                st.text(max_size=15),
                _quantities(),
                st.sampled_from(YAML_GADGETS),
                VALUES.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip()),
            )
        )
        out.append(f"{key}{draw(st.sampled_from(['=', ' = ', '==', '']))}{value}")
    return out


@fuzz(400)
@given(sets=set_lists())
def test_set_strings(sets: list[str], fuzz_dir: Path) -> None:
    path = fuzz_dir / "fuzzbase.yaml"
    with mock.patch.object(loader, "load_raw", lambda _: copy.deepcopy(BASE)):  # the file is fixed: skip parsing it
        _outcome(
            "--set",
            lambda: load_scenario(path, sets),
            str(path),
            lambda exc: "key.path=value" not in exc.message and "empty key path" not in exc.message,
        )


@fuzz(150)
@given(text=yaml_texts())
def test_extends_chain_random_child(text: str, fuzz_dir: Path) -> None:
    """A random child file extending the valid base: inheritance and merging must fail cleanly too."""
    path = fuzz_dir / "child.yaml"
    body = text if text.lstrip().startswith("extends") else "extends: fuzzbase.yaml\n" + text
    path.write_text(body, encoding="utf-8", errors="surrogatepass")
    _outcome("load_scenario(extends child)", lambda: load_scenario(path), str(path), _file_level)


@fuzz(120)
@given(sets=set_lists())
def test_cli_validate_with_random_set(sets: list[str], fuzz_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Through the CLI itself: exit 0, or exit 2 with exactly one line on stderr and no traceback."""
    EXAMPLES["cli validate --set"] += 1
    capsys.readouterr()
    base = fuzz_dir / "fuzzbase.yaml"
    args = ["validate", str(base)]
    for item in sets:
        args += ["--set", item]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse refusing the command line itself (e.g. `--set -x`), also exit 2
        code = exc.code
    err = capsys.readouterr().err
    assert code in (0, 2), err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert err.startswith((f"error: {base}: ", "error: corridor-sim validate: ")), err
    EXAMPLES[f"cli validate --set: exit {code}"] += 1


# -- extreme magnitudes ------------------------------------------------------------------------------------------------
# Every numeric field of the base (and the clock-driving ones it leaves out) set in turn to an extreme: ~0, 0, huge,
# negative, a count beyond any machine. Each case must be refused in one line naming its key, refused by the work
# estimate, or run one replication within a time and memory budget (in a subprocess under an address-space limit, a
# per-case alarm and a CPU limit): a value that would hang or exhaust memory fails fast and names itself.
NUMBERS = [0, 1e-300, 1e300, -1e300, 10**9, 2**70, 0.5]
QUANTITIES = ["0{}", "1e-300{}", "1e300{}", "1e-9{}", "-5{}", "1e12{}"]
EXTRA_FIELDS: dict[tuple, Any] = {  # numeric fields the base leaves to defaults or does not use
    ("simulation", "monitor_interval"): "24h",
    ("simulation", "teu_per_container"): 2,
    ("network", "segments", "pq", "return_time"): "20h",
    ("network", "segments", "pq", "unload_time"): "6h",
    ("network", "segments", "pq", "load_time_per_teu"): "1min",
    ("network", "segments", "pq", "load_factor"): 0.9,
    ("network", "segments", "pq", "departure", "fill"): 1,
    ("disruptions", "storm", "every"): "20d",
    ("disruptions", "storm", "duration"): "2d",
}
# fields that together make one clock-driving cycle: both extreme at once (an outage of ~0 after an open time of ~0)
PAIRED = [(("disruptions", "storm", "every"), ("disruptions", "storm", "duration"))]
TIMETABLE = ("network", "segments", "pq", "departure")  # the same leg on a timetable, for `every` and `offset`
TIMETABLE_FIELDS = {"every": "72h", "offset": "6h"}


def _numeric_leaves(node: Any) -> Iterator[tuple[tuple, Any]]:
    for path in _paths(node):
        value = _get(node, path)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number or (isinstance(value, str) and value[:1].isdigit()):
            yield path, value


def _extremes(value: Any) -> list[Any]:
    if isinstance(value, str):
        unit = value.lstrip("0123456789.")
        return [q.format(unit) for q in QUANTITIES]
    return list(NUMBERS)


def _put(raw: dict[str, Any], path: tuple, value: Any) -> None:
    node = raw
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    node[path[-1]] = value


def extreme_cases() -> list[tuple[str, dict[str, Any]]]:
    """(label, raw scenario) for every numeric field and every extreme, one edit each, on a short horizon."""
    base = copy.deepcopy(BASE)
    base["simulation"].update(duration="20d", warmup="2d", cooldown="5d")
    cases = []
    fields = [*_numeric_leaves(base), *EXTRA_FIELDS.items()]
    for path, value in fields:
        for extreme in _extremes(value):
            raw = copy.deepcopy(base)
            _put(raw, path, extreme)
            cases.append((f"{'.'.join(map(str, path))}={extreme}", raw))
    for first, second in PAIRED:
        for extreme in _extremes("0h"):
            raw = copy.deepcopy(base)
            _put(raw, first, extreme)
            _put(raw, second, extreme)
            cases.append((f"{'.'.join(first)}={extreme} and {'.'.join(second)}={extreme}", raw))
    for name, value in TIMETABLE_FIELDS.items():
        for extreme in _extremes(value):
            raw = copy.deepcopy(base)
            _put(raw, TIMETABLE, {"rule": "timetable", "every": "72h", name: extreme})
            cases.append((f"{'.'.join(TIMETABLE)}.{name}={extreme} (timetable)", raw))
    return cases


BUDGET_S = 20  # per case; a replication of the short base takes ~0.1 s
MEMORY_BYTES = 3 * 2**30
RUNNER = """\
import json, resource, signal, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu}))
from corridor_sim.engine import simulate
from corridor_sim.loader import validate
from corridor_sim.network import build_network

def alarm(signum, frame):
    raise TimeoutError("over budget")

signal.signal(signal.SIGALRM, alarm)
for line in sys.stdin:
    label, raw = json.loads(line)
    t = time.perf_counter()
    signal.alarm({budget})
    try:
        scenario = validate(raw)
        tables = simulate(scenario, build_network(scenario), 0)
        outcome = "ran"
    except TimeoutError:
        outcome = "timeout"
    except MemoryError:
        outcome = "memory"
    except Exception as exc:
        outcome = f"error: {{exc.__class__.__name__}}: {{exc}}"
    finally:
        signal.alarm(0)
    print(json.dumps([label, outcome, time.perf_counter() - t]), flush=True)
"""


def test_extreme_magnitudes_are_refused_or_bounded() -> None:
    """Each extreme is refused (a one-line error naming its key, or the work estimate), or runs within budget."""
    from corridor_sim.workload import DEFAULT_MAX_EVENTS, check, estimate

    to_run, refused = [], Counter()
    for label, raw in extreme_cases():
        EXAMPLES["extreme magnitudes"] += 1
        try:
            scenario = validate(copy.deepcopy(raw), "extreme.yaml")
            check(estimate(scenario), DEFAULT_MAX_EVENTS)
        except ScenarioError as exc:
            by_estimate = exc.key == "work estimate"  # a whole-run error: no file, the estimate is its key
            _check_error(exc, "work estimate" if by_estimate else "extreme.yaml")
            refused["work estimate" if by_estimate else "schema"] += 1
            continue
        to_run.append(json.dumps([label, raw], default=str))
    EXAMPLES.update({f"extreme magnitudes: refused by {k}": v for k, v in refused.items()})
    assert refused["schema"] > 100 and to_run  # both kinds exercised
    script = RUNNER.format(memory=MEMORY_BYTES, cpu=BUDGET_S * len(to_run) + 60, budget=BUDGET_S)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], input="\n".join(to_run) + "\n", capture_output=True, text=True, env=env
    )
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(to_run), done.stderr[-2000:]
    bad = [(label, outcome) for label, outcome, _ in results if outcome != "ran"]
    assert bad == [], bad
    EXAMPLES["extreme magnitudes: ran within budget"] += len(results)
