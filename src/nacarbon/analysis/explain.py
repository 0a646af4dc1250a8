"""Which structural parameters drive a fitted model (paper Fig. S6): SHAP and permutation importance.

SHAP explains the final estimator on the matrix it actually sees: a Pipeline's preprocessing
(imputation, scaling) is applied first, so missing values never reach an explainer. Plots are in
:mod:`nacarbon.analysis.shap_plots`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shap
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier, GradientBoostingRegressor,
    HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.inspection import permutation_importance
from sklearn.metrics import get_scorer
from sklearn.pipeline import Pipeline
from sklearn.tree import BaseDecisionTree
from sklearn.utils.validation import check_is_fitted

from nacarbon.errors import ConfigError, NacarbonError

_SKLEARN_TREES = (
    BaseDecisionTree, RandomForestRegressor, RandomForestClassifier, ExtraTreesRegressor,
    ExtraTreesClassifier, GradientBoostingRegressor, GradientBoostingClassifier,
    HistGradientBoostingRegressor, HistGradientBoostingClassifier,
)
# Checked by module name so xgboost/catboost/lightgbm are not imported just to ask.
_TREE_PACKAGES = ("xgboost", "catboost", "lightgbm")


def is_tree_model(estimator: object) -> bool:
    """Whether shap's TreeExplainer explains the fitted (non-Pipeline) ``estimator`` exactly.

    True for sklearn trees, forests and gradient boosting and for xgboost (tree boosters), catboost
    and lightgbm; False otherwise (bagging, SVR, GP, linear, kNN ...).
    """
    if isinstance(estimator, _SKLEARN_TREES):
        return True
    if type(estimator).__module__.split(".")[0] not in _TREE_PACKAGES:
        return False
    params = estimator.get_params() if hasattr(estimator, "get_params") else {}
    return params.get("booster") != "gblinear"


def _as_frame(model: object, X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X, dtype=float)
    if arr.ndim != 2:
        raise ConfigError(f"X must be 2-D, got shape {arr.shape}")
    names = getattr(model, "feature_names_in_", None)
    if names is None or len(names) != arr.shape[1]:
        names = [f"x{i}" for i in range(arr.shape[1])]
    return pd.DataFrame(arr, columns=list(names))


def _transformed(prep: Pipeline, X: pd.DataFrame) -> pd.DataFrame:
    out = prep.transform(X)
    out = out.toarray() if hasattr(out, "toarray") else out
    if isinstance(out, pd.DataFrame):
        return out.astype(float)
    try:
        names = [str(n) for n in prep.get_feature_names_out(list(X.columns))]
    except (AttributeError, ValueError, TypeError):  # a step without feature-name support
        names = list(X.columns) if out.shape[1] == X.shape[1] else [f"f{i}" for i in range(out.shape[1])]
    return pd.DataFrame(np.asarray(out, dtype=float), columns=names, index=X.index)


def split_model(model: BaseEstimator, X: pd.DataFrame | np.ndarray) -> tuple[BaseEstimator, pd.DataFrame]:
    """The estimator to explain (``model``, or a Pipeline's last step) and ``X`` as it sees it.

    The matrix is ``X`` passed through every Pipeline step but the last, with feature names kept.
    """
    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise NacarbonError(f"cannot explain an unfitted model: {exc}") from exc
    X = _as_frame(model, X)
    if isinstance(model, Pipeline) and len(model.steps) > 1:
        return model.steps[-1][1], _transformed(model[:-1], X)
    if isinstance(model, Pipeline):
        return model.steps[-1][1], X
    return model, X


def _sample(frame: pd.DataFrame, k: int, seed: int) -> pd.DataFrame:
    return frame if len(frame) <= k else frame.sample(k, random_state=seed)


def shap_values(model: BaseEstimator, X: pd.DataFrame | np.ndarray, *,
                background: pd.DataFrame | np.ndarray | None = None, max_background: int = 100,
                seed: int = 0) -> shap.Explanation:
    """SHAP values (n_rows × n_features) of a fitted regressor on raw rows ``X``.

    ``background`` rows define "feature absent": by default tree models use the trees' own cover
    statistics (path-dependent), other models ``X``; at most ``max_background`` are sampled (the
    model-agnostic cost grows linearly with it). The Explanation's ``data`` is the transformed
    (e.g. imputed) matrix the explained estimator saw.

    Tree models (sklearn, xgboost, catboost, lightgbm) get the exact, fast TreeExplainer,
    interventional when a background is given. Others are explained through ``predict`` by
    KernelExplainer: up to 11 features all 2^p coalitions fit its default budget, so values are
    exact Shapley values; above that coalitions are sampled. Either way a row's values add up to its
    prediction minus the expected value over the background.
    """
    if int(max_background) < 1:
        raise ConfigError(key="shap.max_background", value=max_background, allowed="an integer >= 1")
    final, Xt = split_model(model, X)
    bg = None
    if background is not None:
        _, bg = split_model(model, _as_frame(model, background))
        bg = _sample(bg, int(max_background), seed)

    if is_tree_model(final):
        if bg is None:
            explainer = shap.TreeExplainer(final, feature_perturbation="tree_path_dependent")
        else:
            explainer = shap.TreeExplainer(final, data=bg, feature_perturbation="interventional")
        expl = explainer(Xt)
    else:
        bg = _sample(Xt, int(max_background), seed) if bg is None else bg
        columns = list(Xt.columns)
        wants_frame = hasattr(final, "feature_names_in_")  # fitted on a DataFrame: keep names

        def predict(a: np.ndarray) -> np.ndarray:
            rows = pd.DataFrame(a, columns=final.feature_names_in_) if wants_frame else a
            return np.asarray(final.predict(rows), dtype=float)

        explainer = shap.KernelExplainer(predict, bg.to_numpy(float), feature_names=columns)
        state = np.random.get_state()  # KernelExplainer samples coalitions from the global RNG
        try:
            np.random.seed(seed)
            # l1_reg=False keeps every feature; the default would zero all but 10 of them.
            expl = explainer(Xt.to_numpy(float), l1_reg=False, silent=True)
        finally:
            np.random.set_state(state)
    expl.feature_names = list(Xt.columns)
    return expl


def shap_summary(expl: shap.Explanation) -> pd.DataFrame:
    """Global importance of a single-output explanation: ``feature, mean_abs_shap``, most important first."""
    values = np.asarray(expl.values, dtype=float)
    if values.ndim != 2:
        raise ConfigError(f"expected one output (2-D SHAP values), got shape {values.shape}")
    names = expl.feature_names or [f"f{i}" for i in range(values.shape[1])]
    table = pd.DataFrame({"feature": list(names), "mean_abs_shap": np.abs(values).mean(axis=0)})
    return table.sort_values("mean_abs_shap", ascending=False, kind="stable").reset_index(drop=True)


def permutation_importance_table(model: BaseEstimator, X: pd.DataFrame | np.ndarray, y: pd.Series | np.ndarray, *,
                                 scoring: str = "neg_root_mean_squared_error", n_repeats: int = 20,
                                 seed: int = 0) -> pd.DataFrame:
    """Permutation importance of each raw feature: ``feature, mean, std`` of the score drop, sorted by mean.

    The whole pipeline is scored, so NaNs in ``X`` are imputed as in use; ``scoring`` is a
    scikit-learn scorer name, ``n_repeats`` the shuffles per feature.
    """
    if int(n_repeats) < 1:
        raise ConfigError(key="shap.permutation_repeats", value=n_repeats, allowed="an integer >= 1")
    try:
        get_scorer(scoring)
    except ValueError as exc:
        raise ConfigError(f"unknown scoring {scoring!r}") from exc
    X = _as_frame(model, X)
    res = permutation_importance(model, X, np.asarray(y, dtype=float), scoring=scoring,
                                 n_repeats=int(n_repeats), random_state=seed)
    table = pd.DataFrame({"feature": list(X.columns), "mean": res.importances_mean,
                          "std": res.importances_std})
    return table.sort_values("mean", ascending=False, kind="stable").reset_index(drop=True)
