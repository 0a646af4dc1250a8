import numpy as np
import pytest

from nacarbon.errors import ConfigError
from nacarbon.suggest.batch import closest_other, greedy_diverse
from nacarbon.uncertainty.space import distances


def test_greedy_keeps_the_minimum_distance_and_acquisition_order():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(200, 3))
    values = -np.linalg.norm(points, axis=1)  # best near the origin: many close candidates
    picked = greedy_diverse(values, points, 8, min_distance=0.8)
    assert len(picked) == 8 and len(set(picked)) == 8 and picked[0] == np.argmax(values)
    d = distances(points[picked], points[picked])
    assert d[~np.eye(8, dtype=bool)].min() >= 0.8
    assert np.all(np.diff(values[picked]) <= 0)
    plain = greedy_diverse(values, points, 8)
    assert distances(points[plain], points[plain])[~np.eye(8, dtype=bool)].min() < 0.8


def test_group_cap_and_nan_values():
    values = np.array([5.0, 4.0, 3.0, np.nan, 1.0])
    groups = np.array(["a", "a", "a", "b", "c"])
    picked = greedy_diverse(values, np.arange(5.0)[:, None], 4, groups=groups, max_per_group=2)
    assert list(picked) == [0, 1, 4]  # the third "a" is over the cap, NaN is never chosen


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_batch_size_must_be_positive(n):
    with pytest.raises(ConfigError, match="n=.* is not allowed: expected a batch size, an integer >= 1"):
        greedy_diverse(np.ones(3), np.zeros((3, 1)), n)


def test_closest_other_is_each_picks_gap_to_the_batch():
    points = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0], [np.nan, 7.0]])
    # a missing coordinate is skipped and the rest scaled up (sqrt(2) x 3 from [3, 4] to [nan, 7])
    np.testing.assert_allclose(closest_other(points), [1.0, 3.0 * np.sqrt(2), 1.0, 3.0 * np.sqrt(2)])
    assert closest_other(points[:1]).tolist() == [np.inf]
