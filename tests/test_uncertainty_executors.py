"""Same seed, same study: an uncertainty study and a Morris screen give identical tables run serially, on two worker
processes under each start method, and on a Dask cluster (in-process workers: what Dask changes is the order in
which results come back, which the study must not depend on; process boundaries are the start methods' part)."""

from __future__ import annotations

import multiprocessing

import pandas as pd
import pytest
from test_uncertainty import load, noisy

from corridor_sim import sensitivity_global as gsa
from corridor_sim import uncertainty
from corridor_sim.experiment import execution
from corridor_sim.ledger import Ledger
from corridor_sim.uncertainty import design, parameters, run_points, summarise

EXECUTORS = [*(m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()), "dask"]


def study_tables(tmp_path, monkeypatch, workers: int) -> dict[str, pd.DataFrame]:
    """Both studies of the random corridor (the tables `uncertainty` and `gsa` write), in chunks of two parameter
    sets, so a chunk's sets are split between the workers and the ledger is written several times."""
    monkeypatch.setattr(uncertainty, "CHUNK_REPLICATIONS", 1)
    study = load(tmp_path, noisy(), workers=workers)
    params = parameters(study)
    samples, base = run_points(study, params, design("lhs", 5, len(params), 4), Ledger(tmp_path / "u.jsonl", "u"))
    unit = gsa.morris_design(params, 2, 4, seed=4)
    points, _ = run_points(study, params, unit, Ledger(tmp_path / "g.jsonl", "g"))
    screen = gsa.morris_indices(params, unit, points, ["z:p50_days", "z:mean_days"], 4, seed=4)
    return {"samples": samples, "uncertainty": summarise(samples, base, study.base), "gsa": screen}


@pytest.fixture(scope="module")
def serial(tmp_path_factory) -> dict[str, pd.DataFrame]:
    with pytest.MonkeyPatch.context() as mp:
        return study_tables(tmp_path_factory.mktemp("serial"), mp, workers=1)


def test_the_studies_are_not_trivially_equal(serial: dict[str, pd.DataFrame]) -> None:
    """Equality below means something only if the sets differ and replications are noisy."""
    assert serial["samples"]["z:p50_days"].nunique() == 5
    summary = serial["uncertainty"].set_index("kpi")
    assert summary.loc["p50_days", "noise_sd"] > 0 and summary.loc["p50_days", "parameter_sd"] > 0
    assert (serial["gsa"].loc[serial["gsa"]["kpi"].eq("z:mean_days"), "mu_star"] > 0).all()


@pytest.fixture(scope="module")
def dask_scheduler():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c:
        yield c.scheduler_address


@pytest.mark.parametrize("executor", EXECUTORS)
def test_same_seed_same_studies_whatever_the_executor(tmp_path, monkeypatch, serial, request, executor: str) -> None:
    if executor == "dask":
        block = execution(workers=2, scheduler=request.getfixturevalue("dask_scheduler"))
    else:
        block = execution(workers=2, start_method=executor)
    with block:
        tables = study_tables(tmp_path, monkeypatch, workers=2)
    for name, frame in serial.items():
        pd.testing.assert_frame_equal(tables[name], frame, obj=name)
