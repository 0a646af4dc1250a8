"""Per-run baseline figures a training run logs (``baseline_paired_p``, the ``beats_baseline`` run tag).

These are descriptive numbers of one run. Whether a model beats the mean baseline, for
comparison, promotion, the run report and screening, is decided by the one rule in
:mod:`nacarbon.evaluation.significance` on repeated grouped splits across the families of a
target; a registered version's ``beats_baseline`` tag is that rule's verdict. (Still used by
``commands/train``'s summary and run tags; retire once that module moves to the rule.)
"""

from __future__ import annotations

import numpy as np


def paired_rmse_test(model_rmse: list[float], baseline_rmse: list[float]) -> float:
    """One-sided paired t-test p-value that the model's fold RMSE is below the baseline's.

    Folds share their test rows, so the comparison is paired. NaN when fewer than two folds
    or when every difference is zero.
    """
    from scipy import stats  # scipy.stats costs ~0.5 s to import: only when a test is run

    diff = np.asarray(baseline_rmse, float) - np.asarray(model_rmse, float)
    if len(diff) < 2 or np.allclose(diff, diff[0]):
        return float("nan") if len(diff) < 2 or diff[0] == 0 else (0.0 if diff[0] > 0 else 1.0)
    return float(stats.ttest_1samp(diff, 0.0, alternative="greater").pvalue)


def beats_baseline(summary: dict[str, float]) -> bool:
    """One run's descriptive check: lower mean fold RMSE than the mean baseline on the same folds,
    and pooled out-of-fold R² above zero. Not the significance rule (see the module docstring)."""
    return bool(summary["rmse_mean"] < summary["baseline_rmse_mean"] and summary["r2_pooled"] > 0)
