"""Tree boosting with a per-paper random intercept (GPBoost), as a scikit-learn regressor.

~45 % of the grouped out-of-fold residual variance is a per-paper offset (tau2 / (tau2 + sigma2):
0.45 ICE, 0.39 plateau capacity; experiments/figures.md). Fitting the trees jointly with a Gaussian
intercept per paper keeps them from bending to one lab's offset; a new paper's intercept is unknown,
so predictions are the tree part (intercept at its prior mean 0).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

GROUP_FEATURE = "paper_code"  # the design column carrying each row's paper (nacarbon.data.design)


class PaperRandomEffectBoosting(RegressorMixin, BaseEstimator):
    """GPBoost regressor whose last input column is the paper code (the random-effect group).

    Parameters
    ----------
    group_column : int, default=-1
        Position of the paper-code column in ``X``; removed from the tree features.
    n_estimators, learning_rate, num_leaves, max_depth, min_data_in_leaf : GPBoost tree parameters
        Defaults 200, 0.05, 15, -1, 5.
    monotone_constraints : list of int, optional
        One of -1/0/1 per tree feature (after the group column is removed).
    random_state : int, default=0
    """

    def __init__(self, *, group_column: int = -1, n_estimators: int = 200, learning_rate: float = 0.05,
                 num_leaves: int = 15, max_depth: int = -1, min_data_in_leaf: int = 5,
                 monotone_constraints: list[int] | None = None, random_state: int = 0):
        self.group_column = group_column
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_data_in_leaf = min_data_in_leaf
        self.monotone_constraints = monotone_constraints
        self.random_state = random_state

    def _split(self, X) -> tuple[np.ndarray, np.ndarray]:
        col = self.group_column % X.shape[1]
        return np.delete(X, col, axis=1), X[:, col]

    def fit(self, X, y):
        """Fit trees and the paper random intercept; returns self."""
        import gpboost as gpb  # heavy: imported only when a model is fitted

        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        if X.shape[1] < 2:
            raise ValueError(f"PaperRandomEffectBoosting needs >= 2 columns (features + the group column "
                             f"{GROUP_FEATURE}); got {X.shape[1]} feature(s)")
        feats, groups = self._split(X)
        # GPBoost's gradient is Sigma^-1 (y - F): in raw units (ICE variance ~200) each step is
        # ~1/sigma^2 too small and the trees barely move; on a standardized target they do.
        self.y_mean_, self.y_scale_ = float(y.mean()), float(y.std()) or 1.0
        y = (y - self.y_mean_) / self.y_scale_
        params = {"objective": "regression_l2", "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
                  "max_depth": self.max_depth, "min_data_in_leaf": self.min_data_in_leaf, "verbose": -1,
                  "seed": self.random_state, "num_threads": 1}
        if self.monotone_constraints is not None:
            if len(self.monotone_constraints) != feats.shape[1]:
                raise ValueError(f"monotone_constraints has {len(self.monotone_constraints)} entries for "
                                 f"{feats.shape[1]} tree features")
            params["monotone_constraints"] = list(self.monotone_constraints)
        gp_model = gpb.GPModel(group_data=groups.astype(str), likelihood="gaussian")
        gp_model.set_optim_params(params={"trace": False})
        data = gpb.Dataset(feats, y)
        booster = gpb.train(params=params, train_set=data, gp_model=gp_model, num_boost_round=int(self.n_estimators))
        # keep plain data only: GPBoost objects hold C pointers that neither pickle (process
        # pools, MLflow) nor outlive the library handle; the trees reload from their text form
        self.booster_ = booster.model_to_string()
        self.cov_pars_ = np.asarray(gp_model.get_cov_pars(), dtype=float).ravel() * self.y_scale_ ** 2
        return self

    def _booster(self):
        import gpboost as gpb

        if getattr(self, "_loaded", None) is None:
            self._loaded = gpb.Booster(model_str=self.booster_, silent=True)
        return self._loaded

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_loaded", None)
        return state

    def predict(self, X) -> np.ndarray:
        """Predict for papers not seen in training: the tree part (random intercept at zero)."""
        check_is_fitted(self, "booster_")
        feats, _ = self._split(validate_data(self, X, reset=False, dtype=np.float64))
        # ignore_gp_model: the fixed (tree) part only, i.e. a new paper with its intercept at 0
        fixed = np.asarray(self._booster().predict(feats, ignore_gp_model=True), dtype=float).ravel()
        return self.y_mean_ + self.y_scale_ * fixed

    def random_effects(self) -> np.ndarray:
        """Estimated ``[residual variance, paper-intercept variance]`` in target units squared."""
        check_is_fitted(self, "cov_pars_")
        return self.cov_pars_.copy()
