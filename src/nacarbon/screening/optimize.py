"""Inverse design: search the screening space with NSGA-II instead of enumerating a grid.

Same champions (whole predictors: their own intervals and domain) and rules as the grid
screen. Each Optuna trial is one structure in the grid's bounding box, the ranked targets'
predictions are the objectives, and each rule (and the domain, if required) is an Optuna
constraint, so infeasible structures lose by constrained domination instead of through a
penalty on the objectives.
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
    """Per-feature search box of a grid spec.

    Parameters
    ----------
    spec : mapping
        Grid spec (see :mod:`nacarbon.screening.grid`).

    Returns
    -------
    dict of str to tuple of float
        Feature -> ``(min, max)`` of its expanded axis, in spec order.
    """
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
            raise ConfigError(f"{name} must be an integer >= {least}, got {value!r}")


def evaluate_designs(designs: pd.DataFrame, predictors: Mapping[str, Any], rules: Sequence[Rule],
                     require_in_domain: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predict structures and measure how far each is from feasible.

    Parameters
    ----------
    designs : pandas.DataFrame
        One structure per row, one column per feature.
    predictors, rules, require_in_domain
        As for :func:`inverse_design` (``rules`` parsed).

    Returns
    -------
    tuple of pandas.DataFrame
        The rows with ``pred_<t>``, ``lo_<t>``/``hi_<t>`` and the domain columns added; and one
        column of constraint values per rule (plus ``finite_predictions`` and, if required,
        ``applicability_domain``), in Optuna's convention: <= 0 satisfied, > 0 violated.

    Notes
    -----
    A rule is a boolean expression, so its violation is 0 or 1. The domain violation is
    graded, ``domain_score - 1`` (in units of the domain's threshold), so NSGA-II ranks
    out-of-domain structures by how far out they are and walks them back towards the data.
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
    """Multi-objective search for feasible structures on the Pareto front of the predictions.

    Parameters
    ----------
    predictors : mapping
        Target -> whole predictor (point, interval and domain; see
        :mod:`nacarbon.screening.evaluate`); every target is predicted (and usable in rules),
        only those in ``directions`` are objectives.
    bounds : mapping
        Feature -> ``(low, high)``; each is suggested as a continuous float
        (see :func:`bounds_from_spec`).
    directions : mapping
        Objective target -> ``"max"`` or ``"min"``, in objective order.
    constraints : sequence of mapping or Rule, default=()
        Feasibility rules over features, ``pred_<t>``, ``lo_<t>``/``hi_<t>`` and
        ``domain_score``/``in_domain``.
    require_in_domain : bool, default=False
        Make the predictors' domain a constraint.
    n_trials : int
        Structures evaluated.
    seed : int
        Seed of the NSGA-II sampler; with ``n_jobs=1`` the run is reproducible.
    population_size : int, default=50
        NSGA-II generation size (>= 2).
    storage : str or optuna.storages.BaseStorage, optional
        Optuna storage URL (e.g. ``sqlite:///optuna.db``) or object; default in memory.
    study_name : str, optional
        Study name (default: generated). An existing study of that name is an error, so a
        result always comes from one seeded run.
    progress : bool, default=True
        Show a tqdm bar over trials.

    Returns
    -------
    OptimizeResult
        Feasible Pareto set, all trials, the study and a summary.

    Raises
    ------
    ConfigError
        On invalid predictors, bounds, directions, rules or sizes.

    Notes
    -----
    Constraints are set with ``Trial.set_constraint`` (Optuna >= 5; the sampler's
    ``constraints_func`` argument is deprecated there and reads the same trial attribute).
    NSGA-II then uses constrained domination (Deb et al. 2002): a feasible trial beats an
    infeasible one, two infeasible ones compare by total violation. The Pareto set is
    ``study.best_trials`` restricted to feasible trials (see
    :func:`~nacarbon.screening.optimize_report.study_result`), each structure once.
    Trials are asked and told one generation at a time (see :func:`_run_batch`): the same
    trials as a sequential ``study.optimize(n_jobs=1)``, with one vectorised prediction per
    generation. Structures are continuous inside the grid's box, so they can fall between
    grid values.
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

    Notes
    -----
    NSGA-II numbers a new trial's generation from the *completed* trials, picks a
    generation's parents once, and draws crossover/mutation and fresh values from two
    separate seeded generators in trial order. Asking one generation's trials before telling
    any of them therefore yields the same trials as ``study.optimize(n_jobs=1)`` (as long as
    none fails), while each generation costs one vectorised ``predict`` per model.
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
