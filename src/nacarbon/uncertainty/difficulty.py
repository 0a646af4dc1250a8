"""Per-sample difficulty sigma(x) for normalized conformal scores (see :mod:`nacarbon.uncertainty.conformal`)."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from nacarbon.errors import ConfigError
from nacarbon.uncertainty.space import LogStandardScaler

DIFFICULTIES = ("knn", "residual", "spread", "none")


class Difficulty:
    """A per-sample difficulty sigma(x) fitted on one training set.

    ``knn``: mean distance to the ``k`` nearest training rows in the log-scaled, standardized space
    (NaN imputed as 0 there, the training mean). ``residual``: mean absolute out-of-bag residual of
    those neighbours (needs ``oob_prediction_``, e.g. a forest with ``oob_score=True``): where the model
    erred nearby it likely errs again. ``spread``: std of the ensemble members' predictions. ``none``: 1.
    """

    def __init__(self, kind: str, n_neighbors: int = 10):
        self.kind = kind
        self.n_neighbors = n_neighbors

    def fit(self, X: np.ndarray, model, y: np.ndarray | None = None) -> Difficulty:
        """Fit on the rows (and the model) of one training set."""
        if self.kind in ("knn", "residual"):
            self.space_ = LogStandardScaler().fit(X)
            Z = np.nan_to_num(self.space_.transform(X))
            self.nn_ = NearestNeighbors(n_neighbors=min(self.n_neighbors, len(Z))).fit(Z)
            if self.kind == "residual":
                if not hasattr(model, "oob_prediction_"):
                    raise ConfigError("difficulty='residual' needs a bagged ensemble fitted with oob_score=True, "
                                      f"got {type(model).__name__}")
                self.abs_resid_ = np.abs(y - model.oob_prediction_.reshape(-1))
        elif self.kind == "spread":
            if not hasattr(model, "estimators_"):
                raise ConfigError(f"difficulty='spread' needs an ensemble with estimators_, got {type(model).__name__}")
            self.model_ = model
        return self

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Raw difficulty of each row (before the floor)."""
        if self.kind == "knn":
            Z = np.nan_to_num(self.space_.transform(X))
            return self.nn_.kneighbors(Z)[0].mean(axis=1)
        if self.kind == "residual":
            idx = self.nn_.kneighbors(np.nan_to_num(self.space_.transform(X)), return_distance=False)
            return self.abs_resid_[idx].mean(axis=1)
        if self.kind == "spread":
            return np.std([m.predict(X) for m in self.model_.estimators_], axis=0)
        return np.ones(len(X))
