"""Three worker processes on one PostgreSQL-backed Optuna study lose nothing and duplicate nothing.

Exact by design: a GridSampler (no seed) gives trial k the k-th point of one fixed grid in every process,
and the objective (a ridge on fixed inner folds) is deterministic, so trials 0..N-1 of a 3-worker study must
carry the parameter sets and scores of a 1-worker study, whoever ran them.
"""

from __future__ import annotations

import numpy as np
import optuna
import pytest
from omegaconf import OmegaConf

from nacarbon.models.tuning import TuningSettings, tune
from nacarbon.distributed.tuning_workers import tune_in_processes
from nacarbon.commands.train import load_for_target

pytestmark = pytest.mark.server

N_WORKERS = 3
GRID = [float(a) for a in np.logspace(-3, 3, 9)]  # inside ridge's alpha range [1e-3, 1e3]


@pytest.fixture(scope="module")
def problem():
    from tests.conftest import compose_config

    cfg = compose_config("train", ["target=ice", "model=ridge", "search=optuna"])
    _, design = load_for_target(cfg)
    space = OmegaConf.to_container(cfg.model.search_space, resolve=True)
    return cfg.model, space, design


def grid_settings(storage: str | None) -> TuningSettings:
    # No `seed` key: tune() would derive a per-study, per-history seed and reshuffle the grid
    # differently in each worker. NopPruner: pruning depends on which trials finished first.
    return TuningSettings(n_trials=len(GRID), timeout=None, storage=storage, inner_splits=4, seed=11,
                          sampler=OmegaConf.create({"_target_": "optuna.samplers.GridSampler",
                                                    "search_space": {"alpha": GRID}}),
                          pruner=OmegaConf.create({"_target_": "optuna.pruners.NopPruner"}))


@pytest.fixture(scope="module")
def studies(problem, postgres):
    model_cfg, space, d = problem
    shared = tune_in_processes(N_WORKERS, model_cfg=model_cfg, space=space, X=d.X, y=d.y, groups=d.groups,
                               settings=grid_settings(postgres.url), study_name="grid-3-workers").study
    single = tune(model_cfg, space, d.X, d.y, d.groups, settings=grid_settings(postgres.url),
                  study_name="grid-1-worker")
    return shared, single


def test_trial_numbers_are_unique_and_contiguous(studies):
    shared, single = studies
    for study in (shared, single):
        numbers = [t.number for t in study.trials]
        assert sorted(numbers) == list(range(len(numbers)))
        assert {t.state for t in study.trials} == {optuna.trial.TrialState.COMPLETE}
    assert len(single.trials) == len(GRID)
    # MaxTrialsCallback looks at the count after each trial: up to N_WORKERS - 1 extra trials.
    assert len(GRID) <= len(shared.trials) <= len(GRID) + N_WORKERS - 1


def test_first_n_trials_are_the_single_worker_study_exactly(studies):
    shared, single = studies
    first = {t.number: (t.params["alpha"], t.value) for t in shared.trials if t.number < len(GRID)}
    assert first == {t.number: (t.params["alpha"], t.value) for t in single.trials}
    assert sorted(alpha for alpha, _ in first.values()) == sorted(GRID)  # every grid point, once


def test_overshoot_trials_repeat_grid_points_with_the_same_score(studies):
    shared, single = studies
    score = {t.params["alpha"]: t.value for t in single.trials}
    for t in shared.trials[len(GRID):]:
        assert score[t.params["alpha"]] == t.value


def test_best_trial_is_the_same(studies):
    shared, single = studies
    assert shared.best_value == single.best_value
    assert shared.best_params == single.best_params
