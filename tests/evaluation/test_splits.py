"""Grouped splitters never put one source on both sides."""

from __future__ import annotations

import numpy as np
import pytest

from nacarbon.data.io import read_table
from nacarbon.evaluation.splits import RepeatedGroupKFold, make_splitter
from nacarbon.paths import project_root


@pytest.fixture(scope="module")
def seed():
    return read_table(project_root() / "data" / "liu2022_tables.csv")


@pytest.mark.parametrize("name, n_repeats", [("group", 1), ("kfold", 3), ("holdout", 1)])
def test_no_source_on_both_sides(seed, name, n_repeats):
    groups = seed["source"].to_numpy()
    splitter = make_splitter(name, n_splits=5, n_repeats=n_repeats, test_size=0.2, random_state=7)
    tests = []
    for train, test in splitter.split(seed, groups=groups):
        assert set(groups[train]).isdisjoint(groups[test])
        assert len(np.intersect1d(train, test)) == 0
        assert len(train) + len(test) == len(seed)
        tests.append(test)
    if name != "holdout":
        # every row is tested exactly once per repeat
        counts = np.bincount(np.concatenate(tests), minlength=len(seed))
        assert (counts == n_repeats).all()
    else:
        assert len(tests) == 1
        assert 0.1 < len(tests[0]) / len(seed) < 0.35


def test_repeats_shuffle_differently(seed):
    groups = seed["source"].to_numpy()
    folds = list(RepeatedGroupKFold(n_splits=5, n_repeats=2, random_state=0).split(seed, groups=groups))
    first = {frozenset(t) for _, t in folds[:5]}
    second = {frozenset(t) for _, t in folds[5:]}
    assert first != second


def test_same_seed_same_folds(seed):
    groups = seed["source"].to_numpy()
    a = [t.tolist() for _, t in make_splitter("group", random_state=3).split(seed, groups=groups)]
    b = [t.tolist() for _, t in make_splitter("group", random_state=3).split(seed, groups=groups)]
    assert a == b


def test_groups_required():
    with pytest.raises(ValueError, match="needs groups"):
        list(RepeatedGroupKFold().split(np.zeros((10, 1))))


def test_unknown_cv():
    with pytest.raises(ValueError, match="unknown cv name 'loo'"):
        make_splitter("loo")
