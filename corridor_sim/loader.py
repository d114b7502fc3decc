"""Scenario files → validated `Scenario`: YAML, `extends` inheritance, `--set` overrides and provenance.

Every failure becomes a `ScenarioError` naming the file and the key path, so the CLI can print one line.

Provenance is written in the file beside the figure it qualifies, either wrapping a value
(`distance: {value: 836km, source: S40}`) or inside any mapping (`{..., estimate: true}`); it is lifted out into
`Scenario.provenance` keyed by the dotted path, so the engine never sees it and `validate` can list it.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import types
import typing
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from corridor_sim import schema
from corridor_sim.distributions import Dist
from corridor_sim.errors import ScenarioError
from corridor_sim.provenance import KEYS as _PROVENANCE_KEYS
from corridor_sim.provenance import is_wrapper
from corridor_sim.schema import Scenario

_VERBATIM_SECTIONS = ("sources", "provenance", "published", "published_sections")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys (PyYAML otherwise keeps the last one silently)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, Hashable):  # `{[a]: 1}` is valid YAML but no mapping key
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value, not a list or mapping", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {key_node.start_mark.line + 1})", key_node.start_mark
            )
        seen[key] = 1
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# YAML's own errors, and what its constructors raise on a bad tagged or implicit value (`!!int 0b2`, `2023-13-45`)
_YAML_ERRORS = (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError)
_MAX_NODES = 1_000_000  # values after expanding aliases: far above any corridor, far below a "billion laughs"


def _parse_yaml(text: str) -> Any:
    """YAML text → data, refusing duplicate keys and aliases no scenario needs: cycles and exponential expansion."""
    data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    sizes: dict[int, int] = {}

    def size(value: Any, open_: set[int]) -> int:
        if not isinstance(value, dict | list):
            return 1
        if id(value) in open_:
            raise ValueError("an alias refers to a mapping or list that contains it (a cycle)")
        if id(value) not in sizes:
            open_.add(id(value))
            sizes[id(value)] = 1 + sum(size(v, open_) for v in (value.values() if isinstance(value, dict) else value))
            open_.discard(id(value))
            if sizes[id(value)] > _MAX_NODES:
                raise ValueError(f"more than {_MAX_NODES} values once aliases are expanded")
        return sizes[id(value)]

    size(data, set())
    return data


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read file ({exc.__class__.__name__})", file=str(path)) from None
    try:
        data = _parse_yaml(text)
    except _YAML_ERRORS as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = "nested too deeply" if isinstance(exc, RecursionError) else getattr(exc, "problem", None) or exc
        raise ScenarioError(f"{where}invalid YAML: {problem}", file=str(path)) from None
    if data is None:
        raise ScenarioError("file is empty", file=str(path))
    if not isinstance(data, dict):
        raise ScenarioError(f"top level must be a mapping, got {type(data).__name__}", file=str(path))
    return data


def _is_atomic(value: Any) -> bool:
    """Distributions and provenance wrappers replace each other whole: merging their keys would mix shapes."""
    return isinstance(value, dict) and ("dist" in value or "value" in value)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Child over parent: mappings merge key by key, anything else (and a `null`, which deletes) replaces."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and not _is_atomic(value):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_raw(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The file's mapping with its `extends` chain merged in (parents first)."""
    path = Path(path)
    resolved = path.resolve()
    if resolved in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, resolved))
        raise ScenarioError(f"`extends` cycle: {cycle}", key="extends", file=str(path))
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError("must be a file path", key="extends", file=str(path))
    parent_path = path.parent / parent
    try:
        found = parent_path.is_file()
    except (OSError, ValueError):  # a name too long or holding a NUL byte names no file either
        found = False
    if not found:
        raise ScenarioError(f"file {parent!r} not found (relative to {path.parent})", key="extends", file=str(path))
    return deep_merge(load_raw(parent_path, (*_chain, resolved)), data)


def _parse_set(item: str) -> tuple[list[str], Any]:
    if "=" not in item:
        raise ScenarioError(f"expected key.path=value, got {item!r}", file="--set")
    key, _, text = item.partition("=")
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ScenarioError(f"empty key path in {item!r}", file="--set")
    try:
        value = _parse_yaml(text) if text.strip() else ""
    except _YAML_ERRORS:
        raise ScenarioError(f"cannot read value {text!r}", key=key, file="--set") from None
    return key.split("."), value


def apply_sets(raw: dict[str, Any], sets: Iterable[str]) -> dict[str, Any]:
    """Apply `key.path=value` overrides; every parent on the path must already exist (typos are caught here)."""
    out = copy.deepcopy(raw)
    provenance = out.setdefault("provenance", {})
    if not isinstance(provenance, dict) and sets:  # the file's own error, not the override's
        raise ScenarioError("must be a mapping of key paths", key="provenance", file=_FILE_ERROR)
    for item in sets:
        parts, value = _parse_set(item)
        set_value(out, parts, value)
        provenance[".".join(parts)] = {"note": f"set on the command line: {item}"}
    return out


def set_value(data: dict[str, Any], parts: list[str], value: Any, file: str = "--set") -> None:
    """Set one key path in a raw mapping, in place, as `--set` does (also used by dated `changes`)."""
    key = ".".join(parts)
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        node = _step(node, part, ".".join(parts[: i + 1]), file)
    last = parts[-1]
    if isinstance(node, list):
        node[_index(node, last, key, file)] = value
    elif isinstance(node, dict):
        if last not in node and not _field_exists(parts):
            hint = _did_you_mean(last, [str(k) for k in node])
            raise ScenarioError(f"no such key{hint}", key=key, file=file)
        node[last] = value
    else:
        raise ScenarioError(f"{'.'.join(parts[:-1])} is a value, not a section", key=key, file=file)


def _field_exists(parts: list[str]) -> bool:
    """Whether the last part names a schema field (so an optional field absent from the file may be set)."""
    return parts[-1] in _all_field_names()


_FILE_ERROR = "\0file"  # marks an error of the file itself found while applying `--set`


def _section_names() -> set[str]:
    """Fields holding a mapping with defaults, which a file may leave out and `--set` may still reach into."""
    names: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            for fname, field in obj.model_fields.items():
                if not field.is_required() and _holds_mapping(field.annotation):
                    names.add(field.alias or fname)
    return names


def _holds_mapping(annotation: Any) -> bool:
    """A section of the schema (`Simulation`, `X | None`) or a `dict[...]`; not a distribution, list or value."""
    origin = typing.get_origin(annotation)
    if origin is dict:
        return True
    if origin in (typing.Union, types.UnionType):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        return len(kinds) == 1 and _holds_mapping(kinds[0])
    return isinstance(annotation, type) and issubclass(annotation, schema.Strict)


def _step(node: Any, part: str, key: str, file: str = "--set") -> Any:
    if isinstance(node, dict):
        if part not in node and part in _section_names():  # a section left to its defaults (`simulation`)
            node[part] = {}
        if part not in node:
            hint = _did_you_mean(part, [str(k) for k in node])
            raise ScenarioError(f"no such key{hint}", key=key, file=file)
        return node[part]
    if isinstance(node, list):
        return node[_index(node, part, key, file)]
    raise ScenarioError("is a value, not a section", key=key, file=file)


def _index(node: list, part: str, key: str, file: str = "--set") -> int:
    if not (part.isascii() and part.isdigit()):  # '²'.isdigit() but is no index
        raise ScenarioError(f"{part!r} is not a list index (0..{len(node) - 1})", key=key, file=file)
    if int(part) >= len(node):
        raise ScenarioError(f"list index {part!r} out of range (0..{len(node) - 1})", key=key, file=file)
    return int(part)


def extract_provenance(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lift `source`/`estimate`/`note` out of the data into a `{key.path: provenance}` mapping."""
    found: dict[str, Any] = {}

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            marks = {k: value[k] for k in _PROVENANCE_KEYS if k in value}
            if is_wrapper(value):
                if marks:
                    found[path] = marks
                return walk(value["value"], path)
            if marks and path and not path.startswith("interventions."):
                found[path] = marks
                value = {k: v for k, v in value.items() if k not in _PROVENANCE_KEYS}
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}.{i}") for i, v in enumerate(value)]
        return value

    top = {k: v for k, v in raw.items() if k not in _VERBATIM_SECTIONS}
    clean = walk(top, "")
    for k in _VERBATIM_SECTIONS:
        if k in raw:
            clean[k] = raw[k]
    provenance = dict(clean.get("provenance") or {}) if isinstance(clean.get("provenance"), dict) else {}
    provenance.update(found)
    if "provenance" in clean and not isinstance(clean["provenance"], dict):
        raise ScenarioError("must be a mapping of key paths", key="provenance")
    clean["provenance"] = provenance
    return clean, provenance


def _all_field_names() -> set[str]:
    names: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            for fname, field in obj.model_fields.items():
                names.add(field.alias or fname)
    names |= {*Dist.model_fields, "extends", *_PROVENANCE_KEYS}
    return names


def _did_you_mean(word: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _key_part(part: object) -> str:
    """A key as written in a path; an empty or unprintable key is quoted so the path still shows it."""
    text = str(part)
    return text if text.strip() and text.isprintable() else repr(text)


def _format_validation(exc: ValidationError) -> ScenarioError:
    errors = exc.errors()
    first = errors[0]
    loc = [_key_part(p) for p in first["loc"] if not str(p).startswith(("function-", "tagged-union"))]
    msg = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    inner = (first.get("ctx") or {}).get("error")
    if isinstance(inner, ScenarioError):  # a check of the schema naming the key below the model it validates
        loc, msg = [*loc, *([inner.key] if inner.key else [])], inner.message
    if first["type"] == "extra_forbidden":
        msg = f"unknown key{_did_you_mean(loc[-1], sorted(_all_field_names()))}"
    elif first["type"] == "missing":
        msg = "required key is missing"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return ScenarioError(msg + more, key=".".join(loc))


def validate(raw: dict[str, Any], file: str | None = None, name: str | None = None) -> Scenario:
    """Raw mapping (provenance still inline) → `Scenario`, then the network checks (nodes, routes, ports)."""
    from corridor_sim.network import build_network  # network depends on schema only; imported late to keep
    # `validate` and `run` start-up light

    try:
        clean, provenance = extract_provenance(raw)
        if name and "name" not in clean:
            clean["name"] = name
        sources = clean.get("sources") or {}
        for key, prov in provenance.items():
            src = prov.get("source") if isinstance(prov, dict) else None
            if isinstance(src, str) and isinstance(sources, dict) and src not in sources:
                raise ScenarioError(f"source {src!r} is not listed under `sources`", key=f"{key}.source")
        scenario = Scenario.model_validate(clean)
        if any(p.range is not None for p in scenario.provenance.values()):
            from corridor_sim.ranges import check_ends, ranged

            check_ends(raw, ranged(clean, scenario.provenance), name)
        build_network(scenario)
        if scenario.changes:  # every dated state must be a valid scenario the engine can change to
            from corridor_sim.dated import states

            states(scenario)
    except ValidationError as exc:
        raise _format_validation(exc).with_file(file or "<scenario>") from None
    except ScenarioError as exc:
        raise exc.with_file(file or "<scenario>") from None
    return scenario


def load_raw_with_sets(path: str | Path, sets: Sequence[str] = ()) -> dict[str, Any]:
    """The file's merged mapping with `--set` overrides applied (errors name the file and `--set`)."""
    raw = load_raw(path)
    try:
        return apply_sets(raw, sets)
    except ScenarioError as exc:
        where = str(path) if exc.file == _FILE_ERROR else f"{path}: --set"
        raise ScenarioError(exc.message, exc.key, where) from None


def load_scenario(path: str | Path, sets: Sequence[str] = ()) -> Scenario:
    """Read, inherit, override and validate one scenario file."""
    path = Path(path)
    return validate(load_raw_with_sets(path, sets), str(path), name=path.stem)


def resolved_dict(scenario: Scenario) -> dict[str, Any]:
    """The fully resolved scenario (defaults filled, units written out) as plain data, re-loadable as is."""
    return scenario.model_dump(mode="json", by_alias=True)


def scenario_hash(scenario: Scenario, exclude_runs: bool = False) -> str:
    """A stable hash of the resolved scenario; with `exclude_runs`, of the model alone (not how many runs)."""
    data = resolved_dict(scenario)
    if exclude_runs:
        data["simulation"].pop("replications", None)
        for key in ("name", "description", "provenance", "sources", "published", "published_sections", "interventions"):
            data.pop(key, None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
