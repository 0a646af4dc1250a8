"""Chunked screening of a candidate grid: predict, bound, filter, score, rank, summarise."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from nacarbon.data.columns import STRUCTURE
from nacarbon.errors import ConfigError
from nacarbon.screening.backends import make_backend, run_chunks
from nacarbon.screening.constraints import Rule, check_rule_columns, parse_rules
from nacarbon.screening.evaluate import (DOMAIN_RULE, DOMAIN_SCORE, FINITE_RULE, IN_DOMAIN, RANK_BY, carries_uncertainty,
                                         evaluate_rows, has_domain, needed_features, pred_col, rank_column)
from nacarbon.screening.grid import CANDIDATE_ID, chunk_bounds, grid_chunk, grid_values
from nacarbon.screening.ranking import ParetoAccumulator, TopK, check_ranking, weighted_score

PASSED, SCORE = "passed", "score"


@dataclass
class Models:
    """The heavy, read-only part of a screen: shipped to workers once."""

    predictors: dict[str, Any]
    features: list[str]
    intervals: dict[str, Any]
    domain: Any = None


@dataclass
class Plan:
    """The light part of a screen: grid, rules and ranking settings (``ranges=None``: no scoring)."""

    values: dict[str, np.ndarray]
    rules: list[Rule]
    require_in_domain: bool
    ranking_targets: list[str]
    weights: dict[str, float]
    directions: dict[str, str]
    ranges: dict[str, tuple[float, float]] | None
    top_k: int
    rank_by: str = "mean"

    def rank_columns(self) -> list[str]:
        """The column each ranking target is scored on (prediction, or its conservative bound)."""
        return [rank_column(t, self.directions[t], self.rank_by) for t in self.ranking_targets]


@dataclass
class ScreenResult:
    """Outcome of :func:`screen`.

    Attributes
    ----------
    top : pandas.DataFrame
        Best ``top_k`` feasible candidates, best first, with ``rank``.
    pareto : pandas.DataFrame
        Feasible candidates not dominated on the ranking targets, by candidate id.
    summary : dict
        Counts, per-rule failures, per-target count/min/mean/max over feasible
        candidates, score ranges and run settings.
    n_candidates, n_passed : int
        Grid size; candidates passing every rule (and the domain filter if required).
    """

    top: pd.DataFrame
    pareto: pd.DataFrame
    summary: dict
    n_candidates: int
    n_passed: int


@dataclass
class Partial:
    """Mergeable result of one or more consecutive chunks."""

    n_candidates: int
    n_passed: int
    n_in_domain: int | None
    failures: dict[str, int]
    stats: dict[str, list[float]]  # target -> [count, min, sum, max] over feasible rows
    top: TopK | None = None
    pareto: ParetoAccumulator | None = None
    rows: pd.DataFrame | None = field(default=None, repr=False)

    def merge(self, other: Partial) -> Partial:
        """Fold a later chunk's partial into this one (call in chunk order)."""
        self.n_candidates += other.n_candidates
        self.n_passed += other.n_passed
        if self.n_in_domain is not None:
            self.n_in_domain += other.n_in_domain
        for name, count in other.failures.items():
            self.failures[name] += count
        for target, (count, low, total, high) in other.stats.items():
            mine = self.stats[target]
            self.stats[target] = [mine[0] + count, min(mine[1], low), mine[2] + total, max(mine[3], high)]
        if self.top is not None and other.top is not None:
            self.top.merge(other.top)
        if self.pareto is not None and other.pareto is not None:
            self.pareto.merge(other.pareto)
        return self


def score_chunk(models: Models, plan: Plan, start: int, stop: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """Build, predict, filter and score candidates ``start`` to ``stop - 1``.

    Parameters
    ----------
    models, plan : Models, Plan
        Fitted objects (predictors, features, intervals, domain); grid, rules, ranking.
    start, stop : int
        Flat-index range of the chunk.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        All rows with ``pred_*``/``lo_*``/``hi_*``, domain columns, ``passed`` and ``score``
        (NaN unless passed and ``plan.ranges`` is set); and per-rule failure counts.
    """
    chunk = grid_chunk(plan.values, start, stop)
    checked, finite = evaluate_rows(chunk, models.predictors, features=models.features, intervals=models.intervals,
                                    domain=models.domain, rules=plan.rules)
    failures = dict(checked.failures)
    failures[FINITE_RULE] = int(np.count_nonzero(~finite))
    passed = checked.mask & finite
    if plan.require_in_domain:
        failures[DOMAIN_RULE] = int(np.count_nonzero(~chunk[IN_DOMAIN].to_numpy()))
        passed &= chunk[IN_DOMAIN].to_numpy()
    chunk[PASSED] = passed
    score = np.full(len(chunk), np.nan)
    if plan.ranges is not None and passed.any():
        preds = chunk.loc[passed, plan.rank_columns()]
        preds.columns = plan.ranking_targets
        score[passed] = weighted_score(preds, {t: plan.weights[t] for t in plan.ranking_targets},
                                       plan.directions, plan.ranges)
    chunk[SCORE] = score
    return chunk, failures


def process_chunk(models: Models, plan: Plan, start: int, stop: int, keep_rows: bool) -> Partial:
    """Score one chunk and reduce it to a :class:`Partial` (the unit a backend runs).

    Parameters
    ----------
    models, plan, start, stop
        As for :func:`score_chunk`.
    keep_rows : bool
        Carry every row of the chunk (for writing them all to Parquet).

    Returns
    -------
    Partial
        Counts, streaming statistics, and (when scoring) the chunk's top-k and Pareto front.
    """
    chunk, failures = score_chunk(models, plan, start, stop)
    feasible = chunk[chunk[PASSED].to_numpy()]
    stats = {}
    for target in models.predictors:
        p = feasible[pred_col(target)].to_numpy()
        stats[target] = ([len(p), p.min(), p.sum(), p.max()] if len(p) else [0, np.inf, 0.0, -np.inf])
    partial = Partial(n_candidates=len(chunk), n_passed=len(feasible), failures=failures, stats=stats,
                      n_in_domain=int(chunk[IN_DOMAIN].sum()) if IN_DOMAIN in chunk else None,
                      rows=chunk if keep_rows else None)
    if plan.ranges is not None:
        cols = plan.rank_columns()
        partial.top = TopK(plan.top_k).update(feasible)
        partial.pareto = ParetoAccumulator(cols, [plan.directions[t] == "max" for t in plan.ranking_targets])
        partial.pareto.update(feasible)
    return partial


def _validate(values: Mapping[str, np.ndarray], predictors: Mapping[str, Any], features: Sequence[str],
              intervals: Mapping[str, Any], domain: Any, require_in_domain: bool,
              ranking_targets: Sequence[str], weights: Mapping, directions: Mapping) -> None:
    if not predictors:
        raise ConfigError("screen needs at least one predictor")
    for target, predictor in predictors.items():
        if not (callable(getattr(predictor, "predict", None)) or carries_uncertainty(predictor)):
            raise ConfigError(f"predictor for '{target}' has no predict method")
    wanted = list(features) + [c for obj in [*predictors.values(), domain] for c in needed_features(obj)]
    missing = sorted(set(wanted) - set(values))
    if missing:
        raise ConfigError(f"grid spec lacks feature '{missing[0]}' that a model needs")
    for name, keys in (("intervals", intervals), ("ranking_targets", ranking_targets)):
        unknown = sorted(set(keys) - set(predictors))
        if unknown:
            raise ConfigError(f"{name}: target '{unknown[0]}' has no predictor")
    check_ranking(ranking_targets, weights, directions)
    if domain is not None:
        check_is_fitted(domain)
    elif require_in_domain and not has_domain(predictors, domain):
        raise ConfigError("require_in_domain=True needs a fitted domain")


def screen(spec: Mapping[str, Mapping[str, Any]], predictors: Mapping[str, Any], *,
           constraints: Sequence[Mapping | Rule], weights: Mapping[str, float],
           directions: Mapping[str, str], ranking_targets: Sequence[str] | None = None,
           domain: Any = None, intervals: Mapping[str, Any] | None = None,
           require_in_domain: bool = False, score_ranges: Mapping[str, tuple[float, float]] | None = None,
           features: Sequence[str] = tuple(STRUCTURE), chunk_size: int = 50_000, top_k: int = 50,
           keep_all_path: str | None = None, progress: bool = True, backend: Any = "local",
           backend_options: Mapping[str, Any] | None = None, rank_by: str = "mean") -> ScreenResult:
    """Screen every candidate of a grid, chunk by chunk, and rank the feasible ones.

    Parameters
    ----------
    spec : mapping
        Grid spec (see :mod:`nacarbon.screening.grid`).
    predictors : mapping
        Target -> object with ``predict(DataFrame) -> ndarray``.
    constraints : sequence of mapping or Rule
        Feasibility rules over grid features, ``pred_<t>``, ``lo_<t>``, ``hi_<t>``,
        ``domain_score`` and ``in_domain``.
    weights, directions : mapping
        Per ranking target: weight >= 0 and ``"max"``/``"min"``; other keys are ignored.
    ranking_targets : sequence of str, optional
        Targets that enter the score and the Pareto front (default: all). Others are still
        predicted, reported and usable in rules.
    domain : ApplicabilityDomain, optional
        Fitted domain; adds ``domain_score`` and ``in_domain``.
    intervals : mapping, optional
        Target -> fitted ConformalInterval; adds ``lo_<t>`` and ``hi_<t>``.
    require_in_domain : bool, default=False
        Treat out-of-domain candidates as infeasible (needs ``domain``).
    score_ranges : mapping, optional
        Target -> fixed ``(low, high)`` for the score (e.g. the measured training range).
        If omitted, a first pass takes the min/max over feasible candidates, which costs a
        second round of predictions.
    features : sequence of str
        Columns given to models without ``feature_names_in_``.
    chunk_size, top_k : int
        Rows per chunk; rows kept in ``top``.
    keep_all_path : str, optional
        Write every scored row to this Parquet file, chunk by chunk.
    progress : bool, default=True
        Show a tqdm bar over chunks.
    backend : {"local", "dask"} or backend instance, default="local"
        Where chunks run; results are identical across backends.
    backend_options : mapping, optional
        Options of :class:`~nacarbon.screening.backends.DaskBackend`.
    rank_by : {"mean", "lcb"}, default="mean"
        Score (and Pareto front) on the predictions, or on each target's conservative interval
        bound (lower for a target to maximise, upper for one to minimise).

    Returns
    -------
    ScreenResult
        Top-k, Pareto front, summary and counts.

    Raises
    ------
    ConfigError
        On an invalid spec, rule, weight, direction, predictor set or backend.
    """
    values = grid_values(spec)
    intervals = dict(intervals or {})
    targets = list(ranking_targets) if ranking_targets is not None else list(predictors)
    _validate(values, predictors, features, intervals, domain, require_in_domain, targets, weights, directions)
    rules = parse_rules(constraints)
    bounded = [t for t in predictors if t in intervals or carries_uncertainty(predictors[t])]
    columns = [CANDIDATE_ID, *values, *(pred_col(t) for t in predictors),
               *(f"{side}_{t}" for t in bounded for side in ("lo", "hi")),
               *((DOMAIN_SCORE, IN_DOMAIN) if has_domain(predictors, domain) else ())]
    check_rule_columns(rules, columns)
    if rank_by not in RANK_BY:
        raise ConfigError(f"rank_by={rank_by!r}: allowed {list(RANK_BY)}")
    if rank_by != "mean":
        lacking = [t for t in targets if t not in bounded]
        if lacking:
            raise ConfigError(f"rank_by={rank_by!r} needs an interval for every ranking target; '{lacking[0]}' has none")
    bounds = chunk_bounds(math.prod(len(v) for v in values.values()), chunk_size)
    models = Models(dict(predictors), list(features), intervals, domain)
    plan = Plan(values, rules, require_in_domain, targets, {t: float(weights[t]) for t in targets},
                {t: directions[t] for t in targets}, None, top_k, rank_by)
    if score_ranges is not None:
        check_ranking(targets, weights, directions, score_ranges)
        plan.ranges = {t: (float(score_ranges[t][0]), float(score_ranges[t][1])) for t in targets}
    with make_backend(backend, backend_options) as runner:
        shared_models = runner.share(models)

        def run_pass(pass_plan: Plan, keep: str | None, desc: str) -> Partial:
            tasks = ((start, stop, keep is not None) for start, stop in bounds)
            return run_chunks(runner, process_chunk, (shared_models, runner.share(pass_plan)), tasks,
                              n_tasks=len(bounds), keep_all_path=keep, progress=progress, desc=desc)

        if plan.ranges is None:
            first = run_pass(plan, None, "screening (score ranges)")
            plan = replace(plan, ranges={t: (float(first.stats[t][1]), float(first.stats[t][3]))
                                         if first.stats[t][0] else (0.0, 0.0) for t in targets})
        total = run_pass(plan, keep_all_path, "screening")
    source = "given" if score_ranges is not None else "feasible_minmax"
    return _result(total, plan, source, chunk_size, len(bounds))


def _result(total: Partial, plan: Plan, source: str, chunk_size: int, n_chunks: int) -> ScreenResult:
    targets = {}
    for target, (count, low, tot, high) in total.stats.items():
        targets[target] = ({"count": int(count), "min": float(low), "mean": float(tot / count),
                            "max": float(high)} if count else
                           {"count": 0, "min": np.nan, "mean": np.nan, "max": np.nan})
    summary = {"n_candidates": total.n_candidates, "n_passed": total.n_passed,
               "n_in_domain": total.n_in_domain, "rule_failures": dict(total.failures),
               "targets": targets, "ranking_targets": list(plan.ranking_targets),
               "weights": dict(plan.weights), "directions": dict(plan.directions),
               "score_ranges": {t: list(r) for t, r in plan.ranges.items()},
               "score_ranges_source": source, "rank_by": plan.rank_by, "chunk_size": chunk_size, "n_chunks": n_chunks}
    # Every kept row passed, so the flag carries no information there.
    top = total.top.result().drop(columns=[PASSED], errors="ignore")
    pareto = total.pareto.result().drop(columns=[PASSED], errors="ignore")
    return ScreenResult(top=top, pareto=pareto, summary=summary,
                        n_candidates=total.n_candidates, n_passed=total.n_passed)
