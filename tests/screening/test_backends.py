"""Backends: ordered local mapping, option handling, and Dask results identical to local."""

from __future__ import annotations

import pandas as pd
import pytest

from nacarbon.errors import ConfigError
from nacarbon.screening.backends import DaskBackend, LocalBackend, make_backend
from nacarbon.screening.engine import Execution, Models, Plan, screen

SPEC = {
    "d002_nm": {"values": [0.35, 0.365, 0.38, 0.395]},
    "la_nm": {"start": 1.5, "stop": 5.0, "step": 0.5},
    "lc_nm": {"start": 0.7, "stop": 2.2, "step": 0.5},
    "id_ig": {"start": 0.43, "stop": 1.63, "step": 0.2},
    "ssa_m2_g": {"values": [2, 160, 325, 587]},
}


def _add(shared: int, a: int, b: int) -> int:
    return shared * 100 + a + b


def test_local_backend_maps_in_order():
    with LocalBackend() as backend:
        shared = backend.share(7)
        assert list(backend.map_ordered(_add, (shared,), [(1, 2), (3, 4), (0, 0)])) == [703, 707, 700]


@pytest.mark.parametrize(("backend", "options", "message"), [
    ("local", {"n_workers": 2}, "takes no options"),
    ("dask", {"workers": 2}, r"backend_options\.workers=2: unknown option"),
    ("dask", {"n_workers": 0}, "n_workers"),
    ("dask", {"client": object(), "address": "tcp://127.0.0.1:1"}, "not both"),
    ("ray", None, r"screen\.backend='ray' is not allowed"),
    (LocalBackend(), {"n_workers": 2}, "only accepted with a backend name"),
])
def test_backend_options_are_validated(backend, options, message):
    with pytest.raises(ConfigError, match=message):
        make_backend(backend, options)


def test_dask_backend_must_be_entered():
    with pytest.raises(ConfigError, match="entered"):
        DaskBackend(n_workers=1).share(1)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       host="127.0.0.1", dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _plan(**kw) -> Plan:
    return Plan.build(SPEC, kw.pop("constraints", []), **kw)


@pytest.mark.server
def test_dask_results_identical_to_local(dask_client, whole_predictors, tmp_path):
    """Whole predictors travel to the workers by pickle and answer there exactly as here."""
    models = Models({t: whole_predictors[t] for t in ("capacity", "ice", "plateau_voltage")})
    plan = _plan(constraints=[{"name": "lc_two_layers", "expr": "lc_nm >= 2 * d002_nm"},
                              {"name": "ice_at_least_60", "expr": "pred_ice >= 60"}],
                 ranking_targets=["capacity", "ice", "plateau_voltage"],
                 weights={"capacity": 1.0, "ice": 1.0, "plateau_voltage": 1.0},
                 directions={"capacity": "max", "ice": "max", "plateau_voltage": "min"}, top_k=20)
    local = screen(models, plan, Execution(500, keep_all_path=str(tmp_path / "local.parquet"), progress=False))
    remote = screen(models, plan, Execution(500, "dask", {"client": dask_client, "max_in_flight": 3},
                                            keep_all_path=str(tmp_path / "dask.parquet"), progress=False))
    pd.testing.assert_frame_equal(local.top, remote.top)
    pd.testing.assert_frame_equal(local.pareto, remote.pareto)
    assert local.summary == remote.summary
    assert local.n_passed == remote.n_passed and 0 < local.n_passed < local.n_candidates
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local.parquet"),
                                  pd.read_parquet(tmp_path / "dask.parquet"))
    # the client given by the caller stays usable
    assert dask_client.submit(_add, 1, 2, 3).result() == 105


@pytest.mark.server
def test_dask_by_scheduler_address(dask_client, whole_predictors):
    models = Models({t: whole_predictors[t] for t in ("capacity", "plateau_voltage")})
    plan = _plan(ranking_targets=["capacity", "plateau_voltage"], weights={"capacity": 1.0, "plateau_voltage": 2.0},
                 directions={"capacity": "max", "plateau_voltage": "min"})
    local = screen(models, plan, Execution(chunk_size=1000, progress=False))
    remote = screen(models, plan, Execution(chunk_size=1000, progress=False, backend="dask",
                                            backend_options={"address": dask_client.scheduler.address}))
    pd.testing.assert_frame_equal(local.top, remote.top)
    assert local.summary == remote.summary
