"""Chunked screening of a candidate grid with whole predictors: predict, filter, score, rank, summarise."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from nacarbon.errors import ConfigError
from nacarbon.screening.backends import make_backend, run_chunks
from nacarbon.screening.constraints import Rule, parse_rules
from nacarbon.screening.evaluate import (DOMAIN_RULE, FINITE_RULE, IN_DOMAIN, RANK_BY, check_predictors, evaluate_rows,
                                         pred_col, rank_column)
from nacarbon.screening.grid import chunk_bounds, grid_chunk, grid_values
from nacarbon.screening.ranking import ParetoAccumulator, TopK, check_ranking, weighted_score

PASSED, SCORE = "passed", "score"


@dataclass
class Models:
    """The heavy, read-only part of a screen, shipped to workers once: target -> whole predictor."""

    predictors: dict[str, Any]


@dataclass
class Plan:
    """What is screened and how it is ranked (``ranges=None``: a first pass measures them).

    Build it with :meth:`build` from a grid spec and rule mappings (which checks them).
    """

    values: dict[str, np.ndarray]
    rules: list[Rule]
    ranking_targets: list[str]
    weights: dict[str, float]
    directions: dict[str, str]
    ranges: dict[str, tuple[float, float]] | None = None
    require_in_domain: bool = False
    top_k: int = 50
    rank_by: str = "mean"

    @classmethod
    def build(cls, spec: Mapping[str, Mapping[str, Any]], constraints: Sequence[Mapping | Rule], *,
              ranking_targets: Sequence[str], weights: Mapping[str, float], directions: Mapping[str, str],
              score_ranges: Mapping[str, tuple[float, float]] | None = None, require_in_domain: bool = False,
              top_k: int = 50, rank_by: str = "mean") -> Plan:
        """Expand the grid, parse the rules and check the ranking settings.

        Rules may read features, ``pred/lo/hi_<t>`` and the domain columns. Only ``ranking_targets``
        enter the score and Pareto front (other ``weights``/``directions`` keys are ignored). Without
        ``score_ranges`` (fixed ``(low, high)`` per target) a first pass takes the min/max over feasible
        candidates. ``rank_by`` is ``"mean"`` or ``"lcb"`` (conservative interval bound). ConfigError on
        a bad spec, rule, weight, direction, range or ``rank_by``.
        """
        targets = list(ranking_targets)
        check_ranking(targets, weights, directions, score_ranges)
        if rank_by not in RANK_BY:
            raise ConfigError("unknown ranking", key="screen.rank_by", value=rank_by, allowed=list(RANK_BY))
        ranges = None if score_ranges is None else {t: (float(score_ranges[t][0]), float(score_ranges[t][1]))
                                                    for t in targets}
        return cls(grid_values(spec), parse_rules(constraints), targets, {t: float(weights[t]) for t in targets},
                   {t: directions[t] for t in targets}, ranges, bool(require_in_domain), int(top_k), rank_by)

    def rank_columns(self) -> list[str]:
        """The column each ranking target is scored on (prediction, or its conservative bound)."""
        return [rank_column(t, self.directions[t], self.rank_by) for t in self.ranking_targets]


@dataclass
class Execution:
    """Where and how the chunks run; the result does not depend on it.

    ``backend`` is ``"local"``, ``"dask"`` or a backend instance; ``backend_options`` go to
    :class:`~nacarbon.screening.backends.DaskBackend`; ``keep_all_path`` receives every scored
    row as Parquet, chunk by chunk.
    """

    chunk_size: int = 50_000
    backend: Any = "local"
    backend_options: Mapping[str, Any] | None = None
    keep_all_path: str | None = None
    progress: bool = True


@dataclass
class ScreenResult:
    """Outcome of :func:`screen`.

    ``top``: best ``top_k`` feasible candidates with ``rank``; ``pareto``: feasible candidates not
    dominated on the ranking targets, by candidate id; ``summary``: counts, rule failures, per-target
    count/min/mean/max over feasible candidates, score ranges, settings. ``n_passed`` counts the
    candidates passing every rule (and the domain filter if required).
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
    n_in_domain: int
    failures: dict[str, int]
    stats: dict[str, list[float]]  # target -> [count, min, sum, max] over feasible rows
    top: TopK | None = None
    pareto: ParetoAccumulator | None = None
    rows: pd.DataFrame | None = field(default=None, repr=False)

    def merge(self, other: Partial) -> Partial:
        """Fold a later chunk's partial into this one (call in chunk order)."""
        self.n_candidates += other.n_candidates
        self.n_passed += other.n_passed
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

    Returns all rows with the answer columns, ``passed`` and ``score`` (NaN unless passed and
    ``plan.ranges`` is set), and the per-rule failure counts.
    """
    chunk = grid_chunk(plan.values, start, stop)
    checked, finite = evaluate_rows(chunk, models.predictors, plan.rules)
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

    ``keep_rows`` carries every row along, for writing them all to Parquet.
    """
    chunk, failures = score_chunk(models, plan, start, stop)
    feasible = chunk[chunk[PASSED].to_numpy()]
    stats = {}
    for target in models.predictors:
        p = feasible[pred_col(target)].to_numpy()
        stats[target] = ([len(p), p.min(), p.sum(), p.max()] if len(p) else [0, np.inf, 0.0, -np.inf])
    partial = Partial(n_candidates=len(chunk), n_passed=len(feasible), failures=failures, stats=stats,
                      n_in_domain=int(chunk[IN_DOMAIN].sum()),
                      rows=chunk if keep_rows else None)
    if plan.ranges is not None:
        cols = plan.rank_columns()
        partial.top = TopK(plan.top_k).update(feasible)
        partial.pareto = ParetoAccumulator(cols, [plan.directions[t] == "max" for t in plan.ranking_targets])
        partial.pareto.update(feasible)
    return partial


def screen(models: Models, plan: Plan, execution: Execution | None = None) -> ScreenResult:
    """Screen every candidate of a grid chunk by chunk and rank the feasible ones.

    Every model's target is predicted with its interval and domain; the result is the same for every
    chunk size and backend (default: one local process). ConfigError on a predictor that is not whole,
    a feature the grid lacks, a rule on an unknown column, a ranking target without a predictor, or a
    bad chunk size or backend.
    """
    run = execution or Execution()
    check_predictors(models.predictors, list(plan.values), plan.rules)
    unknown = [t for t in plan.ranking_targets if t not in models.predictors]
    if unknown:
        raise ConfigError(f"ranking_targets: target '{unknown[0]}' has no predictor")
    bounds = chunk_bounds(math.prod(len(v) for v in plan.values.values()), run.chunk_size)
    with make_backend(run.backend, run.backend_options) as runner:
        shared_models = runner.share(models)

        def run_pass(pass_plan: Plan, keep: str | None, desc: str) -> Partial:
            tasks = ((start, stop, keep is not None) for start, stop in bounds)
            return run_chunks(runner, process_chunk, (shared_models, runner.share(pass_plan)), tasks,
                              n_tasks=len(bounds), keep_all_path=keep, progress=run.progress, desc=desc)

        source = "given" if plan.ranges is not None else "feasible_minmax"
        if plan.ranges is None:
            first = run_pass(plan, None, "screening (score ranges)")
            plan = replace(plan, ranges={t: (float(first.stats[t][1]), float(first.stats[t][3]))
                                         if first.stats[t][0] else (0.0, 0.0) for t in plan.ranking_targets})
        total = run_pass(plan, run.keep_all_path, "screening")
    return _result(total, plan, source, run.chunk_size, len(bounds))


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
