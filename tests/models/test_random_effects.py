"""GPBoost with a paper random intercept: learns the structure part, ignores the paper at predict."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from nacarbon.models.random_effects import PaperRandomEffectBoosting


def _data(seed=0, n=300, papers=30):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, papers, n)
    x = rng.uniform(0, 1, (n, 2))
    y = 10 * x[:, 0] + rng.normal(0, 3, papers)[g] + rng.normal(0, 0.3, n)
    return np.c_[x, g.astype(float)], y, x


def test_recovers_the_fixed_part_and_a_large_paper_variance():
    X, y, x = _data()
    model = PaperRandomEffectBoosting(n_estimators=200, learning_rate=0.05, num_leaves=4, min_data_in_leaf=10)
    pred = model.fit(X, y).predict(X)
    assert np.corrcoef(pred, 10 * x[:, 0])[0, 1] > 0.95
    resid_var, paper_var = model.random_effects()
    assert paper_var > 5 * resid_var  # the offsets (sd 3) are the effect, not the noise (sd 0.3)


def test_prediction_does_not_depend_on_the_paper_code():
    X, y, _ = _data(1)
    model = clone(PaperRandomEffectBoosting(n_estimators=50)).fit(X, y)
    other = X.copy()
    other[:, -1] = 12345.0  # an unseen paper, or an imputed code
    assert np.allclose(model.predict(X), model.predict(other))


def test_needs_a_group_column_and_matching_constraints():
    X, y, _ = _data(2)
    with pytest.raises(ValueError, match="group"):
        PaperRandomEffectBoosting().fit(X[:, :1], y)
    with pytest.raises(ValueError, match="monotone_constraints"):
        PaperRandomEffectBoosting(monotone_constraints=[1]).fit(X, y)
