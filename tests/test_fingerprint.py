"""A training config's fingerprint: what the pipeline skips on when a run of it already finished."""

from __future__ import annotations

from nacarbon.fingerprint import config_fingerprint
from tests.conftest import compose_config


def test_where_things_are_stored_is_not_part_of_it(tmp_path):
    base = config_fingerprint(compose_config("train", ["target=ice", "model=ridge"]))
    moved = compose_config("train", ["target=ice", "model=ridge", f"paths.root={tmp_path}", "progress=false",
                                     f"tracking.uri=sqlite:///{tmp_path}/x.db", "run_name=mine"])
    assert config_fingerprint(moved) == base


def test_anything_that_changes_the_computation_is():
    base = config_fingerprint(compose_config("train", ["target=ice", "model=ridge"]))
    for change in (["target=rate"], ["model=knn"], ["seed=7"], ["cv=repeated"], ["model.estimator.alpha=3"],
                   ["dataset=merged"], ["search=optuna"]):
        assert config_fingerprint(compose_config("train", ["target=ice", "model=ridge", *change])) != base, change
