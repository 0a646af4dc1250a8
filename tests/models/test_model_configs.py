"""Every conf/model/*.yaml builds, fits the real seed rows, tunes within its space, and round-trips MLflow."""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
from mlflow.models import infer_signature
from omegaconf import OmegaConf
from sklearn.compose import TransformedTargetRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Product, Sum, WhiteKernel
from sklearn.preprocessing import StandardScaler

from nacarbon.models.pipeline import build_pipeline, make_regressor
from nacarbon.models.search_space import model_space
from nacarbon.tracking.store import connect, ensure_experiment
from nacarbon.tracking.training_run import model_requirements
from nacarbon.commands.train import load_for_target
from nacarbon.models.catalog import model_names
from tests.conftest import CONF, compose_config
from tests.mlflow_template import fresh_store

MODELS = sorted(p.stem for p in (CONF / "model").glob("*.yaml"))
FAMILIES = {"baseline", "linear", "kernel", "neighbors", "gp", "tree", "ensemble"}
# The issue's list (one of lasso/elastic net and one of kernel ridge/SVR is enough).
REQUIRED = {"dummy", "ridge", "elastic_net", "kernel_ridge", "svr", "knn", "gaussian_process", "decision_tree",
            "random_forest", "extra_trees", "bagging", "adaboost", "gradient_boosting", "hist_gradient_boosting",
            "xgboost", "catboost", "lightgbm"}
# Ensemble sizes cut down so the whole zoo fits in seconds; the shipped defaults are what the sweep uses.
SMALL = {"n_estimators": 8, "iterations": 8, "max_iter": 8}


def small_params(model_cfg) -> dict:
    """Few boosting rounds / trees for tree ensembles (``max_iter`` of a linear model is left alone)."""
    if model_cfg.family not in {"tree", "ensemble"}:
        return {}
    known = make_regressor(model_cfg).get_params()
    return {k: v for k, v in SMALL.items() if k in known}


@pytest.fixture(scope="module")
def ice():
    cfg = compose_config("train", ["target=ice"])
    return load_for_target(cfg)[1]


@pytest.fixture(scope="module")
def configs():
    return {m: compose_config("train", ["target=ice", f"model={m}"]).model for m in MODELS}


@pytest.fixture(scope="module")
def fitted(configs, ice):
    return {m: build_pipeline(cfg, params=small_params(cfg)).fit(ice.X, ice.y) for m, cfg in configs.items()}


def test_zoo_covers_the_issue_families():
    assert REQUIRED <= set(MODELS)
    assert set(model_names()) == set(MODELS)
    assert model_names()[0] == "dummy"  # simplest first
    for name in MODELS:
        node = OmegaConf.load(CONF / "model" / f"{name}.yaml")
        assert node.name == name
        assert node.family in FAMILIES, name
        assert isinstance(node.complexity, int) and isinstance(node.scale, bool), name
        assert "_target_" in node.estimator and "search_space" in node, name


@pytest.mark.parametrize("name", MODELS)
def test_model_fits_real_rows(name, configs, fitted, ice):
    cfg, model = configs[name], fitted[name]
    pred = model.predict(ice.X)
    assert pred.shape == ice.y.shape and np.isfinite(pred).all()
    if name == "dummy":
        np.testing.assert_allclose(pred, ice.y.mean())
    else:
        assert np.ptp(pred) > 0, "a real model must not predict a constant on the training rows"
    assert ("scale" in model_steps(model)) == bool(cfg.scale)


def model_steps(model) -> list[str]:
    inner = model.regressor_ if isinstance(model, TransformedTargetRegressor) else model
    return list(inner.named_steps)


def corner(space: dict, end: int) -> dict:
    """Every hyperparameter at its low (end=0) or high (end=-1) bound; ensemble sizes stay small."""
    out = {}
    for name, spec in space.items():
        value = spec["choices"][end] if spec["type"] == "categorical" else spec["low" if end == 0 else "high"]
        out[name] = min(value, SMALL[name]) if name in SMALL else value
    return out


@pytest.mark.parametrize("name", MODELS)
def test_search_space_validates_and_its_corners_fit(name, configs, ice):
    cfg = configs[name]
    space = model_space(cfg, where=f"conf/model/{name}.yaml")
    assert (not space) == (name == "dummy")
    for end in (0, -1):
        params = corner(space, end)
        model = build_pipeline(cfg, params=params).fit(ice.X, ice.y)
        assert np.isfinite(model.predict(ice.X)).all()
        inner = model.regressor_ if isinstance(model, TransformedTargetRegressor) else model
        fitted = inner.named_steps["model"].get_params()
        for k, v in params.items():
            assert fitted[k] == v


def test_gaussian_process_kernel_is_built_from_nested_targets(configs):
    gp = make_regressor(configs["gaussian_process"])
    kernel = gp.kernel
    assert isinstance(kernel, Sum) and isinstance(kernel.k1, Product) and isinstance(kernel.k2, WhiteKernel)
    assert isinstance(kernel.k1.k1, ConstantKernel) and isinstance(kernel.k1.k2, RBF)
    assert kernel.k1.k2.length_scale_bounds == [1.0e-2, 1.0e3]  # a plain list, not an OmegaConf node
    assert gp.normalize_y


def test_scale_target_with_log_inverts_both():
    # Mean of standardised log(y), mapped back: exactly the geometric mean of y.
    cfg = OmegaConf.create({"name": "gm", "scale": False, "scale_target": True,
                            "estimator": {"_target_": "sklearn.dummy.DummyRegressor"}})
    X = np.zeros((4, 1))
    y = np.array([1.0, 2.0, 4.0, 8.0])
    model = build_pipeline(cfg, transform="log").fit(X, y)
    np.testing.assert_allclose(model.predict(X[:1]), [np.exp(np.log(y).mean())])
    assert isinstance(model.transformer_.steps[-1][1], StandardScaler)


def test_every_family_round_trips_through_mlflow(tmp_path, tmp_path_factory, fitted, ice):
    uri = fresh_store(tmp_path, tmp_path_factory)
    connect(uri, tmp_path / "artifacts")
    ensure_experiment("zoo-roundtrip", uri=uri, artifact_root=tmp_path / "artifacts")
    X = ice.X.head(5)
    with mlflow.start_run() as run:
        for name, model in fitted.items():
            mlflow.sklearn.log_model(model, name=name, signature=infer_signature(ice.X, model.predict(ice.X)),
                                     serialization_format="cloudpickle", pip_requirements=model_requirements())
    for name, model in fitted.items():
        loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/{name}")
        np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-12, err_msg=name)
