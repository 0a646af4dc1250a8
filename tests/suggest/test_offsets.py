import numpy as np

from nacarbon.suggest.offsets import GroupOffsets


def test_offsets_recover_planted_paper_shifts_and_shrink_small_groups():
    rng = np.random.default_rng(0)
    shift = {f"p{i}": s for i, s in enumerate(rng.normal(0, 3, 40))}
    groups = np.repeat(list(shift), 5)
    res = np.array([shift[g] for g in groups]) + rng.normal(0, 1, len(groups))
    fit = GroupOffsets().fit(res, groups)
    assert 4 < fit.tau2_ < 16 and 0.5 < fit.sigma2_ < 2
    est, true = fit.offset(list(shift)), np.array(list(shift.values()))
    assert np.corrcoef(est, true)[0, 1] > 0.95 and np.all(np.abs(est) <= np.abs(true) + 1.5)
    assert fit.offset(["unseen"])[0] == 0.0 and fit.variance(["unseen"])[0] == fit.tau2_
    assert fit.variance(["p0"])[0] < fit.tau2_
