"""Inverse design: search the screening space with NSGA-II instead of enumerating a grid.

Each trial is a structure in the grid's box; each rule (and the domain, if required) is an Optuna
constraint, so infeasible structures lose by constrained domination, not by a penalty on the objectives.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import optuna
import pandas as pd
from tqdm.auto import tqdm

from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import Rule, parse_rules
from nacarbon.screening.evaluate import (DOMAIN_RULE, DOMAIN_SCORE, DOMAIN_THRESHOLD, FINITE_RULE, check_predictors,
                                         evaluate_rows, pred_col)
from nacarbon.screening.grid import grid_values
from nacarbon.screening.optimize_report import OptimizeResult, study_result
from nacarbon.screening.ranking import DIRECTIONS


def bounds_from_spec(spec: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[float, float]]:
    """Per-feature search box of a grid spec: feature -> ``(min, max)`` of its expanded axis."""
    return {f: (float(v.min()), float(v.max())) for f, v in grid_values(spec).items()}


def _validate(predictors: Mapping[str, Any], bounds: Mapping[str, tuple[float, float]],
              directions: Mapping[str, str], rules: list[Rule], n_trials: int, population_size: int) -> None:
    if not (predictors and bounds and directions):
        raise ConfigError("inverse design needs predictors, feature bounds and objective directions")
    for feature, (low, high) in bounds.items():
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise ConfigError(f"feature '{feature}': bad bounds ({low}, {high})")
    for target, direction in directions.items():
        if target not in predictors:
            raise ConfigError(f"directions: target '{target}' has no predictor")
        if direction not in DIRECTIONS:
            raise ConfigError(f"directions: '{target}' must be 'max' or 'min', got {direction!r}")
    check_predictors(predictors, list(bounds), rules)
    for name, value, least in (("n_trials", n_trials, 1), ("population_size", population_size, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ConfigError(key=f"screen.optimize.{name}", value=value, allowed=f"an integer >= {least}")


def evaluate_designs(designs: pd.DataFrame, predictors: Mapping[str, Any], rules: Sequence[Rule],
                     require_in_domain: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predict structures; return them with the answer columns, and one constraint column per rule.

    Constraint values follow Optuna (<= 0 satisfied), with ``finite_predictions`` and, if required,
    ``applicability_domain`` added. A rule's violation is 0 or 1; the domain's is graded,
    ``domain_score - 1``, so NSGA-II walks out-of-domain structures back towards the data.
    """
    rows = designs.reset_index(drop=True).astype(np.float64)
    checked, finite = evaluate_rows(rows, predictors, rules)
    violations = pd.DataFrame({name: np.where(ok, 0.0, 1.0) for name, ok in checked.passed.items()},
                              index=rows.index)
    violations[FINITE_RULE] = np.where(finite, 0.0, 1.0)
    if require_in_domain:
        excess = rows[DOMAIN_SCORE].to_numpy() - DOMAIN_THRESHOLD
        violations[DOMAIN_RULE] = np.where(np.isfinite(excess), excess, 1.0)
    return rows, violations


@contextmanager
def _quiet_optuna() -> Iterator[None]:
    # Optuna logs every trial at INFO; the progress bar (or nothing) is enough here.
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)


def inverse_design(predictors: Mapping[str, Any], *, bounds: Mapping[str, tuple[float, float]],
                   directions: Mapping[str, str], constraints: Sequence[Mapping | Rule] = (),
                   require_in_domain: bool = False, n_trials: int, seed: int, population_size: int = 50,
                   storage: str | optuna.storages.BaseStorage | None = None, study_name: str | None = None,
                   progress: bool = True) -> OptimizeResult:
    """Multi-objective NSGA-II search for feasible structures on the Pareto front of the predictions.

    Every predictor's target is predicted (and usable in rules); those in ``directions`` (target ->
    max/min) are the objectives. Features are continuous floats in ``bounds``, so designs fall between
    grid values. An existing ``study_name`` in ``storage`` is refused, so a result is one seeded run.
    Constraints go through ``Trial.set_constraint`` (Optuna >= 5; ``constraints_func`` is deprecated):
    a feasible trial beats an infeasible one, two infeasible ones compare by total violation (Deb 2002).
    ConfigError on invalid predictors, bounds, directions, rules or sizes.
    """
    rules = parse_rules(constraints)
    _validate(predictors, bounds, directions, rules, n_trials, population_size)
    objectives = list(directions)

    sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=int(population_size))
    with _quiet_optuna():
        try:
            study = optuna.create_study(storage=storage, study_name=study_name, sampler=sampler,
                                        directions=["maximize" if directions[t] == "max" else "minimize"
                                                    for t in objectives])
        except optuna.exceptions.DuplicatedStudyError:
            raise ConfigError(f"optuna study '{study_name}' already exists in {storage}; choose another "
                              f"study_name") from None
        with tqdm(total=int(n_trials), desc="inverse design", disable=not progress) as bar:
            done = 0
            while done < n_trials:
                size = min(int(population_size), int(n_trials) - done)
                _run_batch(study, size, bounds, objectives,
                           lambda designs: evaluate_designs(designs, predictors, rules, require_in_domain))
                done += size
                bar.update(size)
    return study_result(study, objectives, dict(directions), bounds, seed=seed,
                        population_size=population_size)


def _run_batch(study: optuna.study.Study, size: int, bounds: Mapping[str, tuple[float, float]],
               objectives: list[str], evaluate) -> None:
    """Ask ``size`` trials, evaluate them as one table, tell them in order.

    NSGA-II numbers a generation from *completed* trials, picks its parents once and draws from two
    seeded generators in trial order, so this gives the trials of ``study.optimize(n_jobs=1)`` (while
    none fails) at one vectorised ``predict`` per model and generation.
    """
    trials = []
    for _ in range(size):
        trial = study.ask()
        for feature, (low, high) in bounds.items():
            trial.suggest_float(feature, float(low), float(high))
        trials.append(trial)
    rows, violations = evaluate(pd.DataFrame([t.params for t in trials], columns=list(bounds)))
    extra = [c for c in rows.columns if c not in bounds]
    for i, trial in enumerate(trials):
        for key in extra:
            value = rows[key].iloc[i]
            trial.set_user_attr(key, value.item() if hasattr(value, "item") else value)
        for name in violations.columns:
            trial.set_constraint(name, float(violations[name].iloc[i]))
        values = [float(rows[pred_col(t)].iloc[i]) for t in objectives]
        # A NaN objective cannot be ranked: the trial is FAIL and never enters a population.
        state = optuna.trial.TrialState.FAIL if np.isnan(values).any() else None
        study.tell(trial, None if state else values, state=state)
