import numpy as np
import pytest

from nacarbon.errors import ConfigError
from nacarbon.suggest.acquisition import (Objective, acquire, combine_targets, desirability,
                                          expected_improvement, sigma_from_interval, ucb)


def test_ucb_splits_mean_and_uncertainty_and_labels_mode():
    acq = ucb(np.array([1.0, 0.0, 0.5]), np.array([0.0, 2.0, 0.1]), kappa=1.0)
    np.testing.assert_allclose(acq.value, [1.0, 2.0, 0.6])
    np.testing.assert_allclose(acq.value - acq.exploit - acq.explore, np.median([1, 0, .5]) + np.median([0, 2, .1]))
    assert list(acq.mode) == ["exploit", "explore", "exploit"]


def test_expected_improvement_matches_closed_form_and_decomposes():
    acq = expected_improvement(np.array([1.0, 0.0]), np.array([1.0, 1.0]), best=0.0)
    np.testing.assert_allclose(acq.value[1], 1 / np.sqrt(2 * np.pi))  # sigma * phi(0)
    np.testing.assert_allclose(acq.value, acq.exploit + acq.explore)
    assert acq.mode[1] == "explore" and acq.mode[0] == "exploit"


def test_sigma_from_a_90_percent_interval():
    np.testing.assert_allclose(sigma_from_interval(np.array([-1.6448536]), np.array([1.6448536])), [1.0])


def test_weighted_combination_standardizes_and_flips_minimized_targets():
    means = {"a": np.array([10.0, 20.0]), "b": np.array([1.0, 0.0])}
    sig = {"a": np.array([1.0, 1.0]), "b": np.array([0.0, 0.0])}
    known = {"a": np.array([10.0, 20.0]), "b": np.array([0.0, 1.0])}
    score, sigma = combine_targets(means, sig, [Objective("a"), Objective("b", goal="min")], known)
    np.testing.assert_allclose(score, [-1.0, 1.0])  # (z_a - z_b) / 2 with z = +-1
    np.testing.assert_allclose(sigma, [0.1, 0.1])   # 0.5 * 1 / sd(a)=5


def test_desirability_is_the_geometric_mean():
    means = {"a": np.array([0.0, 5.0, 10.0]), "b": np.array([10.0, 10.0, 10.0])}
    sig = {t: np.zeros(3) for t in means}
    score, _ = combine_targets(means, sig, [Objective("a", low=0, high=10), Objective("b", low=0, high=10)],
                               {}, combine="desirability")
    np.testing.assert_allclose(score, [np.sqrt(1e-3), np.sqrt(0.5), 1.0])
    np.testing.assert_allclose(desirability(np.array([0.0, 10.0]), 0, 10, "min"), [1.0, 0.0])


@pytest.mark.parametrize("call, text", [
    (lambda: acquire(np.zeros(2), np.zeros(2), method="pi"), "allowed"),
    (lambda: acquire(np.zeros(2), np.zeros(2), method="ei"), "best"),
    (lambda: ucb(np.zeros(2), np.zeros(2), kappa=-1), "kappa"),
    (lambda: Objective("ice", goal="up"), "goal"),
    (lambda: Objective("ice", weight=0), "weight"),
    (lambda: combine_targets({"ice": np.zeros(2)}, {"ice": np.zeros(2)}, [Objective("rate")], {}), "rate"),
    (lambda: combine_targets({"ice": np.zeros(2)}, {"ice": np.zeros(2)}, [], {}), "objective"),
])
def test_bad_settings_are_config_errors(call, text):
    with pytest.raises(ConfigError, match=text):
        call()
