"""Backends: ordered local mapping, option handling, and Dask results identical to local."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from nacarbon.errors import ConfigError
from nacarbon.screening.backends import DaskBackend, LocalBackend, make_backend
from nacarbon.screening.domain import ApplicabilityDomain
from nacarbon.screening.engine import screen
from nacarbon.screening.intervals import ConformalInterval

FEATURES = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]
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
    ("dask", {"workers": 2}, "unknown option 'workers'"),
    ("dask", {"n_workers": 0}, "n_workers"),
    ("dask", {"client": object(), "address": "tcp://127.0.0.1:1"}, "not both"),
    ("ray", None, "unknown screening backend"),
    (LocalBackend(), {"n_workers": 2}, "only accepted with a backend name"),
])
def test_backend_options_are_validated(backend, options, message):
    with pytest.raises(ConfigError, match=message):
        make_backend(backend, options)


def test_dask_backend_must_be_entered():
    with pytest.raises(ConfigError, match="entered"):
        DaskBackend(n_workers=1).share(1)


def _models():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.uniform([0.34, 1.5, 0.6, 0.4, 2.0], [0.40, 5.0, 2.5, 1.7, 600.0], (60, 5)),
                     columns=FEATURES)
    coefs = {"capacity_mah_g": [800, 25, 30, -40, 0.05], "ice_pct": [10, 0.5, 4, -2, -0.03],
             "plateau_v": [2, -0.08, 0.01, 0.05, 0.0]}
    predictors = {t: Ridge().fit(X, X.to_numpy() @ np.array(c) + rng.normal(0, 1, 60)) for t, c in coefs.items()}
    intervals = {"ice_pct": ConformalInterval().fit(rng.normal(size=50), rng.normal(size=50))}
    return predictors, intervals, ApplicabilityDomain().fit(X)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       host="127.0.0.1", dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.server
def test_dask_results_identical_to_local(dask_client, tmp_path):
    predictors, intervals, domain = _models()
    kw = dict(constraints=[{"name": "lc_two_layers", "expr": "lc_nm >= 2 * d002_nm"},
                           {"name": "ice_le_100", "expr": "pred_ice_pct <= 100"}],
              weights={"capacity_mah_g": 1.0, "ice_pct": 1.0, "plateau_v": 1.0},
              directions={"capacity_mah_g": "max", "ice_pct": "max", "plateau_v": "min"},
              domain=domain, intervals=intervals, chunk_size=500, top_k=20, progress=False)
    local = screen(SPEC, predictors, keep_all_path=str(tmp_path / "local.parquet"), **kw)
    remote = screen(SPEC, predictors, keep_all_path=str(tmp_path / "dask.parquet"), backend="dask",
                    backend_options={"client": dask_client, "max_in_flight": 3}, **kw)
    pd.testing.assert_frame_equal(local.top, remote.top)
    pd.testing.assert_frame_equal(local.pareto, remote.pareto)
    assert local.summary == remote.summary
    assert local.n_passed == remote.n_passed and 0 < local.n_passed < local.n_candidates
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local.parquet"),
                                  pd.read_parquet(tmp_path / "dask.parquet"))
    # the client given by the caller stays usable
    assert dask_client.submit(_add, 1, 2, 3).result() == 105


@pytest.mark.server
def test_dask_by_scheduler_address(dask_client):
    predictors, _, _ = _models()
    kw = dict(constraints=[], weights={"capacity_mah_g": 1.0, "plateau_v": 2.0},
              directions={"capacity_mah_g": "max", "plateau_v": "min"},
              ranking_targets=["capacity_mah_g", "plateau_v"], chunk_size=1000, progress=False)
    local = screen(SPEC, predictors, **kw)
    remote = screen(SPEC, predictors, backend="dask",
                    backend_options={"address": dask_client.scheduler.address}, **kw)
    pd.testing.assert_frame_equal(local.top, remote.top)
    assert local.summary == remote.summary
