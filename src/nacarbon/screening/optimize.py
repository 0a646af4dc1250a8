"""Inverse design: search the screening space with NSGA-II instead of enumerating a grid.

Same champions, rules, intervals and domain as the grid screen. Each Optuna trial is one
structure in the grid's bounding box, the ranked targets' predictions are the objectives,
and each rule (and the domain, if required) is an Optuna constraint, so infeasible
structures lose by constrained domination instead of through a penalty on the objectives.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import optuna
import pandas as pd
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import Rule, check_rule_columns, parse_rules
from nacarbon.screening.evaluate import (DOMAIN_RULE, DOMAIN_SCORE, FINITE_RULE, IN_DOMAIN, carries_uncertainty,
                                         domain_threshold, evaluate_rows, has_domain, needed_features, pred_col)
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
              directions: Mapping[str, str], domain: Any, intervals: Mapping[str, Any],
              require_in_domain: bool, n_trials: int, population_size: int) -> None:
    for target, predictor in predictors.items():
        if not (callable(getattr(predictor, "predict", None)) or carries_uncertainty(predictor)):
            raise ConfigError(f"predictor for '{target}' has no predict method")
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
    if set(intervals) - set(predictors):
        raise ConfigError(f"intervals: target '{sorted(set(intervals) - set(predictors))[0]}' has no predictor")
    needed = {c for obj in [*predictors.values(), domain] for c in needed_features(obj)}
    if needed - set(bounds):
        raise ConfigError(f"no bounds for feature '{sorted(needed - set(bounds))[0]}' that a model needs")
    if domain is not None:
        check_is_fitted(domain)
    elif require_in_domain and not has_domain(predictors, domain):
        raise ConfigError("require_in_domain=True needs a fitted domain")
    for name, value, least in (("n_trials", n_trials, 1), ("population_size", population_size, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ConfigError(f"{name} must be an integer >= {least}, got {value!r}")


def evaluate_designs(designs: pd.DataFrame, predictors: Mapping[str, Any], rules: Sequence[Rule],
                     intervals: Mapping[str, Any], domain: Any,
                     require_in_domain: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predict structures and measure how far each is from feasible.

    Parameters
    ----------
    designs : pandas.DataFrame
        One structure per row, one column per feature.
    predictors, rules, intervals, domain, require_in_domain
        As for :func:`inverse_design` (``rules`` parsed).

    Returns
    -------
    tuple of pandas.DataFrame
        The rows with ``pred_<t>``, ``lo_<t>``/``hi_<t>`` and domain columns added; and one
        column of constraint values per rule (plus ``finite_predictions`` and, if required,
        ``applicability_domain``), in Optuna's convention: <= 0 satisfied, > 0 violated.

    Notes
    -----
    A rule is a boolean expression, so its violation is 0 or 1. The domain violation is
    graded, ``domain_score - threshold`` in scaled-distance units, so NSGA-II ranks
    out-of-domain structures by how far out they are and walks them back towards the data.
    """
    rows = designs.reset_index(drop=True).astype(np.float64)
    checked, finite = evaluate_rows(rows, predictors, features=list(designs.columns), intervals=intervals,
                                    domain=domain, rules=rules)
    violations = pd.DataFrame({name: np.where(ok, 0.0, 1.0) for name, ok in checked.passed.items()},
                              index=rows.index)
    violations[FINITE_RULE] = np.where(finite, 0.0, 1.0)
    if require_in_domain:
        excess = rows[DOMAIN_SCORE].to_numpy() - domain_threshold(domain)
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
                   domain: Any = None, intervals: Mapping[str, Any] | None = None,
                   require_in_domain: bool = False, n_trials: int, seed: int, population_size: int = 50,
                   storage: str | optuna.storages.BaseStorage | None = None, study_name: str | None = None,
                   progress: bool = True) -> OptimizeResult:
    """Multi-objective search for feasible structures on the Pareto front of the predictions.

    Parameters
    ----------
    predictors : mapping
        Target -> object with ``predict(DataFrame) -> ndarray``; every target is predicted
        (and usable in rules), only those in ``directions`` are objectives.
    bounds : mapping
        Feature -> ``(low, high)``; each is suggested as a continuous float
        (see :func:`bounds_from_spec`).
    directions : mapping
        Objective target -> ``"max"`` or ``"min"``, in objective order.
    constraints : sequence of mapping or Rule, default=()
        Feasibility rules over features, ``pred_<t>``, ``lo_<t>``/``hi_<t>`` (targets in
        ``intervals``) and ``domain_score``/``in_domain`` (if ``domain`` is given).
    domain : ApplicabilityDomain, optional
        Fitted applicability domain.
    intervals : mapping, optional
        Target -> fitted ConformalInterval.
    require_in_domain : bool, default=False
        Make the domain a constraint (needs ``domain``).
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
        On invalid predictors, bounds, directions, rules, domain settings or sizes.

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
    intervals = dict(intervals or {})
    _validate(predictors, bounds, directions, domain, intervals, require_in_domain, n_trials, population_size)
    rules = parse_rules(constraints)
    bounded = [t for t in predictors if t in intervals or carries_uncertainty(predictors[t])]
    columns = [*bounds, *(pred_col(t) for t in predictors),
               *(f"{side}_{t}" for t in bounded for side in ("lo", "hi")),
               *((DOMAIN_SCORE, IN_DOMAIN) if has_domain(predictors, domain) else ())]
    check_rule_columns(rules, columns)
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
                           lambda designs: evaluate_designs(designs, predictors, rules, intervals, domain,
                                                            require_in_domain))
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
