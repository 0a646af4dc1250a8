"""Grouped splitters: no paper on both sides, repeats distinct, deterministic, and a scikit-learn cross-validator."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from omegaconf import OmegaConf
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import BaseCrossValidator, GroupShuffleSplit, check_cv, cross_validate

from nacarbon.data.io import read_table
from nacarbon.data.papers import with_paper_ids
from nacarbon.errors import ConfigError
from nacarbon.evaluation.splits import RepeatedGroupKFold, make_splitter
from nacarbon.paths import project_root

CV = project_root() / "conf" / "cv"


@pytest.fixture(scope="module")
def seed():
    table = read_table(project_root() / "data" / "liu2022_tables.csv")
    return with_paper_ids(table, dataset=None, label="liu2022_tables.csv")


def _cv(name: str, **overrides):
    spec = OmegaConf.load(CV / f"{name}.yaml")
    return OmegaConf.merge(spec, overrides)


@pytest.mark.parametrize("name", ["group", "kfold", "repeated", "holdout"])
def test_no_paper_on_both_sides(seed, name):
    groups = seed["paper_id"].to_numpy()
    cv = _cv(name)
    splitter = make_splitter(cv, random_state=7)
    tests = []
    for train, test in splitter.split(seed, groups=groups):
        assert set(groups[train]).isdisjoint(groups[test])
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(seed)
        tests.append(test)
    assert len(tests) == splitter.get_n_splits() == cv.n_splits * (cv.n_repeats if name != "holdout" else 1)
    if name != "holdout":  # every row is tested exactly once per repeat
        counts = np.bincount(np.concatenate(tests), minlength=len(seed))
        assert (counts == cv.n_repeats).all()
    else:
        assert isinstance(splitter, GroupShuffleSplit) and 0.1 < len(tests[0]) / len(seed) < 0.35


def test_repeats_are_distinct_partitions(seed):
    groups = seed["paper_id"].to_numpy()
    folds = list(RepeatedGroupKFold(n_splits=5, n_repeats=3, random_state=0).split(seed, groups=groups))
    partitions = [frozenset(frozenset(t) for _, t in folds[r * 5:(r + 1) * 5]) for r in range(3)]
    assert len(set(partitions)) == 3


def test_same_seed_same_folds_other_seed_other_folds(seed):
    groups = seed["paper_id"].to_numpy()

    def folds(random_state):
        return [t.tolist() for _, t in make_splitter(_cv("repeated"), random_state=random_state).split(
            seed, groups=groups)]

    assert folds(3) == folds(3) and folds(3) != folds(4)


def test_the_seed_is_the_runs_and_the_yaml_names_the_class():
    splitter = make_splitter(_cv("kfold"), random_state=11)
    assert isinstance(splitter, RepeatedGroupKFold)
    assert (splitter.n_splits, splitter.n_repeats, splitter.random_state) == (5, 3, 11)
    assert repr(splitter) == "RepeatedGroupKFold(n_repeats=3, n_splits=5, random_state=11)"


def test_is_a_scikit_learn_cross_validator(seed):
    groups = seed["paper_id"].to_numpy()
    cv = RepeatedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    assert isinstance(cv, BaseCrossValidator) and check_cv(cv) is cv
    X, y = seed[["d002_nm", "ssa_m2_g"]].to_numpy(), seed["ice_pct"].to_numpy()
    scores = cross_validate(DummyRegressor(), X, y, groups=groups, cv=cv)["test_score"]
    assert len(scores) == 6
    with sklearn.config_context(enable_metadata_routing=True):  # it asks for groups by itself
        routed = cross_validate(DummyRegressor(), X, y, params={"groups": groups}, cv=cv)["test_score"]
    np.testing.assert_array_equal(scores, routed)


def test_groups_required_and_bad_repeats_named():
    with pytest.raises(ValueError, match="needs groups"):
        list(RepeatedGroupKFold().split(np.zeros((10, 1))))
    with pytest.raises(ConfigError, match=r"cv.n_repeats=0.*allowed: an integer >= 1"):
        list(RepeatedGroupKFold(n_repeats=0).split(np.zeros((10, 1)), groups=np.arange(10)))


def test_a_cv_config_without_a_splitter_class_is_refused():
    with pytest.raises(ConfigError, match="cv.splitter._target_"):
        make_splitter(OmegaConf.create({"name": "loo", "n_splits": 5}), random_state=0)
    with pytest.raises(ConfigError, match="cannot build the splitter"):
        make_splitter(OmegaConf.create({"splitter": {"_target_": "sklearn.model_selection.NoSuchSplit"}}),
                      random_state=0)
