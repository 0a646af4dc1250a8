"""``suggest_batch``: from a candidate pool and the models' predictions to an explained batch.

Plain inputs let any model drive it: ``predict`` returns per target ``(mean, lo, hi)`` (an interval)
or ``(mean, spread)`` (a standard deviation), ``domain`` returns ``(score, in_domain)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from nacarbon.data import columns as C
from nacarbon.errors import ConfigError
from nacarbon.suggest.acquisition import Objective, acquire, check_objectives, combine_targets, sigma_from_interval
from nacarbon.suggest.batch import check_n, closest_other, greedy_diverse
from nacarbon.suggest.explain import nearest_known
from nacarbon.suggest.series import dominated, series_penalty
from nacarbon.suggest.space import material_matrix
from nacarbon.uncertainty.space import LogStandardScaler

Prediction = tuple  # (mean, lo, hi) or (mean, spread)
DEFAULT_SPACE = (C.D002_NM, C.LA_NM, C.LC_NM, C.ID_IG, C.SSA_M2_G, C.HTT_C, C.ELECTROLYTE)
# What a lab sets when it makes a carbon; La, Lc and ID/IG follow from these and are not set apart.
LAB_SETTINGS = (C.HTT_C, C.SSA_M2_G, C.D002_NM)


@dataclass(frozen=True)
class SuggestConfig:
    """How a batch is chosen (the ``conf/suggest.yaml`` keys).

    ``kappa`` is UCB's weight on sigma, ``xi`` EI's margin (score units). ``min_distance`` applies on
    the ``diversity`` columns, scaled as the domain's space: the settings a lab controls (HTT, SSA,
    d002), so a batch is not eight La/Lc/ID/IG variants of one material a lab cannot make apart.
    ``group_column`` names who would make a candidate, for ``max_per_group``. ``interval_alpha`` is the
    miscoverage of ``predict``'s intervals; ``space`` the columns nearest known materials are found on.
    With ``series_column``, ``series_prior`` > 0 and ``series_trends`` (target -> {feature: direction}),
    candidates a series sibling dominates rank that many sd of the known values lower.
    """

    n: int = 8
    method: str = "ucb"
    kappa: float = 1.0
    xi: float = 0.0
    combine: str = "weighted"
    min_distance: float = 0.07
    max_per_group: int | None = None
    group_column: str | None = None
    interval_alpha: float = 0.1
    space: Sequence[str] = field(default_factory=lambda: list(DEFAULT_SPACE))
    diversity: Sequence[str] = field(default_factory=lambda: list(LAB_SETTINGS))
    n_nearest: int = 3
    series_column: str | None = None
    series_prior: float = 0.0
    series_trends: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _unpack(target: str, pred: Prediction, n_rows: int, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, sigma, lo, hi) from ``(mean, lo, hi)`` or ``(mean, spread)``."""
    if not isinstance(pred, (tuple, list)) or len(pred) not in (2, 3):
        raise ConfigError(f"predictions of '{target}' must be (mean, lo, hi) or (mean, spread), got {type(pred).__name__}")
    arrays = [np.asarray(a, float).reshape(-1) for a in pred]
    if any(len(a) != n_rows for a in arrays):
        raise ConfigError(f"predictions of '{target}' have {[len(a) for a in arrays]} values for {n_rows} candidates")
    z = norm.ppf(1 - alpha / 2)
    if len(arrays) == 3:
        mean, lo, hi = arrays
        return mean, sigma_from_interval(lo, hi, alpha), lo, hi
    mean, sigma = arrays
    return mean, sigma, mean - z * sigma, mean + z * sigma


def suggest_batch(pool: pd.DataFrame, predict: Callable[[pd.DataFrame], Mapping[str, Prediction]],
                  objectives: Sequence[Objective], known: pd.DataFrame, cfg: SuggestConfig = SuggestConfig(), *,
                  domain: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]] | None = None) -> pd.DataFrame:
    """Propose ``cfg.n`` diverse candidates ranked by an acquisition, each explained.

    ``pool`` is already inside the physical rules; ``known`` (the training table) gives scales, the
    best value and nearest neighbours. Out-of-domain candidates are never picked, nor one with domain
    score ``inf`` (no distance to the data). The picks, best first, keep the pool's columns and add
    ``pred_/lo_/hi_<t>``, ``score``/``score_sigma`` (combined objective), ``acquisition``, ``exploit``,
    ``explore``, ``mode``, ``domain_score``, ``series_dominated``, ``nearest_distance``, ``nearest_known``,
    ``nearest_pick_distance`` (on ``diversity``) and ``rank``; a series prior shifts only the ranked
    score, not ``pred_<t>``. ConfigError: ``n <= 0``, an empty pool, an objective without predictions,
    no candidate in the domain, malformed predictions.
    """
    n = check_n(cfg.n)
    if pool.empty:
        raise ConfigError("the candidate pool is empty: the constraints leave no candidate")
    preds = predict(pool)
    check_objectives(objectives, list(preds))
    cols: dict[str, np.ndarray] = {}
    means, sigmas = {}, {}
    for target, pred in preds.items():
        mean, sigma, lo, hi = _unpack(target, pred, len(pool), cfg.interval_alpha)
        means[target], sigmas[target] = mean, sigma
        cols.update({f"pred_{target}": mean, f"lo_{target}": lo, f"hi_{target}": hi})
    known_values = {o.target: pd.to_numeric(known[o.target], errors="coerce").to_numpy(float)
                    for o in objectives if o.target in known}
    is_dominated = _apply_series_prior(pool, known, means, known_values, objectives, cfg)
    score, score_sigma = combine_targets(means, sigmas, objectives, known_values, combine=cfg.combine)
    best = None
    if cfg.method == "ei":
        if not all(o.target in known for o in objectives):
            raise ConfigError("acquisition 'ei' needs every objective's target measured in the known table")
        known_score, _ = combine_targets(known_values, {t: np.zeros(len(v)) for t, v in known_values.items()},
                                         objectives, known_values, combine=cfg.combine)
        best = float(np.nanmax(known_score))
    acq = acquire(score, score_sigma, method=cfg.method, kappa=cfg.kappa, best=best, xi=cfg.xi)
    value, dscore = _within_domain(pool, acq.value, domain)
    spread = _diversity_points(pool, known, cfg)
    groups = pool[cfg.group_column].to_numpy() if cfg.group_column else None
    picked = greedy_diverse(value, spread, n, min_distance=cfg.min_distance,
                            groups=groups, max_per_group=cfg.max_per_group)
    out = pool.iloc[picked].reset_index(drop=True)
    for name, arr in cols.items():
        out[name] = arr[picked]
    out["score"], out["score_sigma"] = score[picked], score_sigma[picked]
    out["acquisition"], out["exploit"], out["explore"] = acq.value[picked], acq.exploit[picked], acq.explore[picked]
    out["mode"] = acq.mode[picked]
    out["domain_score"] = dscore[picked]
    out["series_dominated"] = is_dominated[picked]
    cols_near = [c for c in cfg.space if c in pool.columns]
    space = _scaled(known, pool, cols_near)
    out["nearest_distance"], out["nearest_known"] = nearest_known(
        space.transform(material_matrix(out, cols_near)), space.transform(material_matrix(known, cols_near)),
        known, cfg.n_nearest)
    out["nearest_pick_distance"] = closest_other(spread[picked])
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def _within_domain(pool: pd.DataFrame, value: np.ndarray,
                   domain: Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]] | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The acquisition, NaN (never picked) outside the domain or at score ``inf``, and the domain scores."""
    if domain is None:
        return value.copy(), np.full(len(pool), np.nan)
    dscore, inside = (np.asarray(a) for a in domain(pool))
    inside = inside.astype(bool) & ~np.isposinf(dscore.astype(float))
    if not inside.any():
        raise ConfigError(f"no candidate of {len(pool):,} is inside the applicability domain")
    return np.where(inside, value, np.nan), dscore


def _apply_series_prior(pool: pd.DataFrame, known: pd.DataFrame, means: dict[str, np.ndarray],
                        known_values: Mapping[str, np.ndarray], objectives: Sequence[Objective],
                        cfg: SuggestConfig) -> np.ndarray:
    """Shift ``means`` (in place) of candidates a series sibling dominates; return which ones are.

    Siblings are the series' other candidates and its measured rows in ``known`` (features only). The
    shift says the value is lower than the model says, so it is downwards whatever the goal (for a
    ``min`` goal it makes the dominated candidate more attractive).
    """
    flags = np.zeros(len(pool), bool)
    if not cfg.series_column or cfg.series_prior == 0 or not cfg.series_trends:
        return flags
    if cfg.series_column not in pool.columns:
        raise ConfigError(f"series.column={cfg.series_column!r} is not a column of the candidates "
                          f"(series prior needs candidates that name their series, e.g. candidates=FILE)")
    wanted = {o.target for o in objectives}
    for target, trends in cfg.series_trends.items():
        if target not in means or target not in wanted:
            continue
        cols = [cfg.series_column, *trends]
        rows = [pool[cols]] + ([known[cols]] if set(cols) <= set(known.columns) else [])  # candidates first
        dom = dominated(pd.concat(rows, ignore_index=True), cfg.series_column, trends)[:len(pool)]
        shift = series_penalty(known_values.get(target, np.array([])), dom, cfg.series_prior)
        means[target] = means[target] - shift
        flags |= dom
    return flags


def _diversity_points(pool: pd.DataFrame, known: pd.DataFrame, cfg: SuggestConfig) -> np.ndarray:
    """The candidates on the ``diversity`` coordinates, scaled as the domain's space on the known materials."""
    cols = [c for c in cfg.diversity if c in pool.columns]
    if not cols:
        raise ConfigError(f"diversity={list(cfg.diversity)}: none is a column of the candidates "
                          f"({sorted(map(str, pool.columns))}); picks cannot be spread")
    return _scaled(known, pool, cols).transform(material_matrix(pool, cols))


def _scaled(known: pd.DataFrame, pool: pd.DataFrame, cols: list[str]) -> LogStandardScaler:
    """The domain's scaling of ``cols``, learnt on the known materials (on the pool while none is known)."""
    return LogStandardScaler().fit(material_matrix(known if len(known) else pool, cols))
