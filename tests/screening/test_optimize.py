"""Inverse design with NSGA-II on whole predictors of functions whose Pareto front is known."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest

from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import parse_rules
from nacarbon.screening.optimize import bounds_from_spec, evaluate_designs, inverse_design
from nacarbon.screening.optimize_report import write_optimize_outputs
from nacarbon.screening.ranking import pareto_front
from nacarbon.uncertainty.conformal import GroupConformalRegressor
from nacarbon.uncertainty.predictor import SamplePredictor
from tests.conftest import compose_config


def _known_front_predictors() -> dict[str, SamplePredictor]:
    """Whole predictors of gain = x and loss = x + (1 - y)^2 - 1, fitted on 16 papers with x <= 0.4.

    A quadratic regression recovers both functions (up to the small noise), so the true Pareto
    front is known; the papers' x <= 0.4 gives the applicability domain something to refuse.
    """
    rng = np.random.default_rng(0)
    n = 80
    table = pd.DataFrame({"x": rng.uniform(0, 0.4, n), "y": rng.uniform(0, 1, n), "z": rng.uniform(0, 1, n)})
    table["gain"] = table["x"] + rng.normal(0, 0.01, n)
    table["loss"] = table["x"] + (1 - table["y"]) ** 2 - 1 + rng.normal(0, 0.01, n)
    table["sample_id"] = [f"s{i}" for i in range(n)]
    table["paper_id"] = [f"p{i % 16}" for i in range(n)]
    model = make_pipeline(PolynomialFeatures(2), LinearRegression())
    return {t: SamplePredictor(t, t, ["x", "y", "z"], regressor=GroupConformalRegressor(model, alpha=0.2)).fit(table)
            for t in ("gain", "loss")}


class Poisoned:
    """A whole predictor whose answer is made non-finite where ``where(rows)`` holds."""

    def __init__(self, inner: SamplePredictor, where, value: float):
        self.inner, self.where, self.value = inner, where, value
        self.target, self.features = inner.target, inner.features

    def predict_features(self, rows: pd.DataFrame) -> pd.DataFrame:
        answer = self.inner.predict_features(rows)
        answer.loc[np.asarray(self.where(rows)), f"pred_{self.target}"] = self.value
        return answer


# gain = x (max) against loss = x + (1 - y)^2 - 1 (min): along y = 1 they trade off exactly
# (gain up, loss up); y < 1 only adds loss, and z is irrelevant. True front: y = 1, x free.
PREDICTORS = _known_front_predictors()
DIRECTIONS = {"gain": "max", "loss": "min"}
SPEC = {"x": {"start": 0.0, "stop": 1.0, "step": 0.25}, "y": {"values": [1.0, 0.0, 0.5]},
        "z": {"start": 0.0, "stop": 1.0, "num": 5}}
X_CAP = {"name": "x_cap", "expr": "x <= 0.8"}


def _design(**kw):
    args = {"bounds": bounds_from_spec(SPEC), "directions": DIRECTIONS, "constraints": [X_CAP],
            "n_trials": 40, "seed": 1, "population_size": 10, "progress": False} | kw
    return inverse_design(args.pop("predictors", PREDICTORS), **args)


def _objectives(frame: pd.DataFrame) -> np.ndarray:
    return frame[["pred_gain", "pred_loss"]].to_numpy()


@pytest.fixture(scope="module")
def capped():
    return _design(n_trials=160, population_size=16, seed=0)


@pytest.mark.parametrize(("spec", "expected"), [
    (SPEC, {"x": (0.0, 1.0), "y": (0.0, 1.0), "z": (0.0, 1.0)}),
    ({"id_ig": {"start": 0.43, "stop": 1.63, "step": 0.2}}, {"id_ig": (0.43, 1.63)}),
    ({"d002_nm": {"start": 0.335, "stop": 0.410, "step": 0.015}}, {"d002_nm": (0.335, 0.41)}),
    ({"a": {"values": [3, -1, 2]}, "b": {"start": 2, "stop": 2, "num": 1}}, {"a": (-1.0, 3.0), "b": (2.0, 2.0)}),
])
def test_bounds_are_grid_min_and_max(spec, expected):
    bounds = bounds_from_spec(spec)
    assert list(bounds) == list(expected)
    for feature, (low, high) in expected.items():
        assert bounds[feature] == pytest.approx((low, high), abs=1e-12)


def test_bounds_of_the_optimize_config_come_from_its_grid():
    screen = compose_config("screening", ["screen=optimize"]).screen
    assert (screen.mode, screen.optimize.n_trials, screen.optimize.population_size) == ("optimize", 300, 40)
    assert len(screen.constraints) == len(compose_config("screening").screen.constraints)
    bounds = bounds_from_spec({k: dict(v) for k, v in screen.grid.items()})
    assert bounds["d002_nm"] == pytest.approx((0.335, 0.41))
    assert bounds["ssa_m2_g"] == pytest.approx((2.0, 587.0))


def test_pareto_set_is_exactly_the_feasible_front(capped):
    feasible = capped.trials[capped.trials["feasible"]]
    assert pareto_front(_objectives(capped.pareto), [True, False]).all()
    # Recomputing the front over every feasible trial gives the same structures.
    on_front = feasible[pareto_front(_objectives(feasible), [True, False])]
    assert set(map(tuple, on_front[["x", "y", "z"]].to_numpy())) == \
        set(map(tuple, capped.pareto[["x", "y", "z"]].to_numpy()))
    assert not capped.pareto.duplicated(["x", "y", "z"]).any()
    assert capped.summary["n_pareto"] == len(capped.pareto)


def test_pareto_set_spans_the_trade_off_and_approaches_the_true_front(capped):
    p = capped.pareto
    assert p["x"].min() < 0.1 and p["x"].max() > 0.75
    assert np.all(np.diff(p["pred_gain"]) <= 0)  # sorted by the first objective, best first
    first_generation = capped.trials.head(16)
    assert ((1 - p["y"]) ** 2).mean() < 0.5 * ((1 - first_generation["y"]) ** 2).mean()


def test_constraint_excludes_its_region(capped):
    trials = capped.trials
    over = trials["x"] > 0.8
    assert over.any()  # the search did propose structures in the excluded region
    assert not trials.loc[over, "feasible"].any() and not trials.loc[over, "ok_x_cap"].any()
    assert (capped.pareto["x"] <= 0.8).all()
    assert capped.summary["constraint_failures"]["x_cap"] == int(over.sum())


def test_same_seed_same_trials_other_seed_other_trials():
    a, b, c = _design(), _design(), _design(seed=2)
    pd.testing.assert_frame_equal(a.trials, b.trials)
    pd.testing.assert_frame_equal(a.pareto, b.pareto)
    assert not np.allclose(a.trials[["x", "y", "z"]], c.trials[["x", "y", "z"]])


def test_generation_batches_match_sequential_optimize():
    batched = _design()
    rules = parse_rules([X_CAP])
    study = optuna.create_study(directions=["maximize", "minimize"],
                                sampler=optuna.samplers.NSGAIISampler(seed=1, population_size=10))

    def objective(trial):
        params = {f: trial.suggest_float(f, lo, hi) for f, (lo, hi) in bounds_from_spec(SPEC).items()}
        rows, violations = evaluate_designs(pd.DataFrame([params]), PREDICTORS, rules, False)
        for name in violations:
            trial.set_constraint(name, float(violations[name].iloc[0]))
        return [float(rows["pred_gain"].iloc[0]), float(rows["pred_loss"].iloc[0])]

    study.optimize(objective, n_trials=40, n_jobs=1)
    sequential = np.array([[t.params[f] for f in ("x", "y", "z")] for t in study.trials])
    np.testing.assert_array_equal(batched.trials[["x", "y", "z"]].to_numpy(), sequential)


def test_required_domain_keeps_the_pareto_set_near_the_data():
    kept = _design(constraints=[], require_in_domain=True, n_trials=60, population_size=12)
    free = _design(constraints=[], require_in_domain=False, n_trials=60, population_size=12)
    assert kept.pareto["in_domain"].all() and len(kept.pareto) > 0
    assert (kept.pareto["domain_score"] <= 1.0).all()
    complete = kept.trials[kept.trials["state"] == "COMPLETE"]
    assert (complete["ok_applicability_domain"] == complete["in_domain"]).all()
    # Without the requirement the front runs to x = 1, far outside the training x <= 0.4.
    assert not free.pareto["in_domain"].all() and "ok_applicability_domain" not in free.trials
    assert free.pareto["x"].max() > kept.pareto["x"].max()


def test_intervals_are_columns_rules_can_read():
    result = _design(constraints=[{"name": "sure", "expr": "lo_gain >= 0.3"}])
    t = result.trials
    answer = PREDICTORS["gain"].predict_features(t[["x", "y", "z"]])
    np.testing.assert_allclose(t["lo_gain"], answer["lo_gain"])
    np.testing.assert_allclose(t["hi_gain"], answer["hi_gain"])
    assert (t["lo_gain"] < t["pred_gain"]).all() and (t["pred_gain"] < t["hi_gain"]).all()
    assert (result.pareto["lo_gain"] >= 0.3).all()
    assert (~t.loc[t["lo_gain"] < 0.3, "feasible"]).all()


def test_non_finite_predictions_are_never_feasible():
    broken = {"gain": Poisoned(PREDICTORS["gain"], lambda X: X["x"] > 0.5, np.nan),
              "loss": Poisoned(PREDICTORS["loss"], lambda X: X["y"] < 0.3, np.inf)}
    result = inverse_design(broken, bounds=bounds_from_spec(SPEC), directions=DIRECTIONS, n_trials=30, seed=0,
                            population_size=10, progress=False)
    t = result.trials
    assert (t.loc[t["x"] > 0.5, "state"] == "FAIL").all()
    inf_rows = (t["x"] <= 0.5) & (t["y"] < 0.3)
    assert inf_rows.any() and not t.loc[inf_rows, "ok_finite_predictions"].any()
    assert np.isfinite(_objectives(result.pareto)).all() and len(result.pareto) > 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"constraints": [{"name": "r", "expr": "pred_ice <= 100"}]}, "unknown column 'pred_ice'"),
    ({"directions": {"ice": "max"}}, "'ice' has no predictor"),
    ({"directions": {"gain": "up"}}, "must be 'max' or 'min'"),
    ({"predictors": {"gain": LinearRegression(), "loss": PREDICTORS["loss"]}}, "not a whole predictor"),
    ({"population_size": 1}, "population_size"),
    ({"n_trials": 0}, "n_trials"),
    ({"bounds": {"x": (1.0, 0.0), "y": (0.0, 1.0), "z": (0.0, 1.0)}}, "bad bounds"),
])
def test_invalid_settings_raise_config_error(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        _design(**kwargs)


def test_existing_study_name_is_refused():
    storage = optuna.storages.InMemoryStorage()
    first = _design(n_trials=10, storage=storage, study_name="design")
    assert first.study.study_name == "design" and len(first.trials) == 10
    with pytest.raises(ConfigError, match="already exists"):
        _design(n_trials=10, storage=storage, study_name="design")


@pytest.mark.slow
def test_sqlite_storage_keeps_the_trials(tmp_path):
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    result = _design(n_trials=20, storage=storage, study_name="design")
    stored = optuna.load_study(study_name="design", storage=storage)
    assert [t.params for t in stored.trials] == [t.params for t in result.study.trials]
    assert stored.trials[0].user_attrs["pred_gain"] == pytest.approx(result.trials["pred_gain"].iloc[0])


@pytest.mark.parametrize("directions", [DIRECTIONS, {"gain": "max"}])
def test_outputs_are_written(tmp_path, capped, directions):
    result = capped if len(directions) == 2 else _design(directions=directions, n_trials=20)
    files = write_optimize_outputs(result, tmp_path, header=["champions: synthetic"], table_rows=5)
    assert [f.name for f in files] == ["pareto.csv", "trials.csv", "pareto.md", "optimize_summary.json",
                                       "pareto_front.png"]
    assert len(pd.read_csv(tmp_path / "pareto.csv")) == len(result.pareto)
    assert len(pd.read_csv(tmp_path / "trials.csv")) == len(result.trials)
    md = (tmp_path / "pareto.md").read_text().splitlines()
    assert md[0] == "champions: synthetic"
    assert sum(line.startswith("| ") for line in md) == 1 + min(5, len(result.pareto))
    assert (tmp_path / "pareto_front.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
