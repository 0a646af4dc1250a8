"""Acquisition functions: how much a candidate is worth measuring next.

Each takes a predicted mean and standard deviation (``sigma``) per candidate and splits the value
into what comes from the mean (``exploit``) and from the uncertainty (``explore``), so a pick can
say which put it on the list. Several targets are first folded into one score (:func:`combine_targets`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from nacarbon.errors import ConfigError

METHODS = ("ucb", "ei", "mean")
COMBINES = ("weighted", "desirability")
GOALS = ("max", "min")


@dataclass(frozen=True)
class Objective:
    """One target of the search: its ``weight`` (> 0), ``goal`` ("max"/"min") and desirability bounds.

    For ``goal="max"`` a value at or below ``low`` is worth 0 and at or above ``high`` 1 (reversed for
    "min"). The bounds serve only ``combine="desirability"``; missing ones default to the known data's
    5th and 95th percentiles.
    """

    target: str
    weight: float = 1.0
    goal: str = "max"
    low: float | None = None
    high: float | None = None

    def __post_init__(self):
        if self.goal not in GOALS:
            raise ConfigError(f"objective '{self.target}': goal={self.goal!r}; allowed: {list(GOALS)}")
        if not np.isfinite(self.weight) or self.weight <= 0:
            raise ConfigError(f"objective '{self.target}': weight={self.weight!r} must be a positive number")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ConfigError(f"objective '{self.target}': low={self.low} must be below high={self.high}")


@dataclass(frozen=True)
class Acquisition:
    """Acquisition values of a candidate set: ``value = exploit + explore``."""

    value: np.ndarray
    exploit: np.ndarray
    explore: np.ndarray

    @property
    def mode(self) -> np.ndarray:
        """``"explore"`` where the uncertainty term outweighs the mean term, else ``"exploit"``."""
        return np.where(self.explore > self.exploit, "explore", "exploit")


def sigma_from_interval(lo: np.ndarray, hi: np.ndarray, alpha: float = 0.1) -> np.ndarray:
    """Sigma of a central ``1 - alpha`` interval read as normal: ``(hi - lo) / (2 z_{1-alpha/2})``."""
    if not 0 < alpha < 1:
        raise ConfigError(f"interval alpha={alpha!r} must be in (0, 1)")
    return (np.asarray(hi, float) - np.asarray(lo, float)) / (2 * norm.ppf(1 - alpha / 2))


def ucb(mean: np.ndarray, sigma: np.ndarray, kappa: float = 1.0) -> Acquisition:
    """Upper confidence bound ``mean + kappa * sigma``.

    Exploit is the mean above the candidates' median mean, explore ``kappa * sigma`` above its median:
    a candidate explores when its uncertainty lifts it more than its predicted value does.
    """
    if not np.isfinite(kappa) or kappa < 0:
        raise ConfigError(key="kappa", value=kappa, allowed="a number >= 0")
    mean, sigma = np.asarray(mean, float), np.asarray(sigma, float)
    bonus = kappa * sigma
    return Acquisition(mean + bonus, mean - np.median(mean), bonus - np.median(bonus))


def expected_improvement(mean: np.ndarray, sigma: np.ndarray, best: float, xi: float = 0.0) -> Acquisition:
    """Expected improvement over ``best`` for a normal predictive distribution.

    ``EI = (m - best - xi) Phi(z) + sigma phi(z)``, ``z = (m - best - xi) / sigma``; the first
    term is the exploit part, the second the explore part (Jones et al. 1998).
    """
    mean, sigma = np.asarray(mean, float), np.maximum(np.asarray(sigma, float), 1e-12)
    gap = mean - best - xi
    z = gap / sigma
    exploit, explore = gap * norm.cdf(z), sigma * norm.pdf(z)
    return Acquisition(exploit + explore, exploit, explore)


def acquire(mean: np.ndarray, sigma: np.ndarray, *, method: str = "ucb", kappa: float = 1.0,
            best: float | None = None, xi: float = 0.0) -> Acquisition:
    """Dispatch to :func:`ucb`, :func:`expected_improvement` or the plain mean (``"mean"``).

    Raises ConfigError on an unknown method, or ``"ei"`` without ``best``.
    """
    if method == "ucb":
        return ucb(mean, sigma, kappa)
    if method == "ei":
        if best is None:
            raise ConfigError("acquisition 'ei' needs the best known value (best=...)")
        return expected_improvement(mean, sigma, best, xi)
    if method == "mean":
        mean = np.asarray(mean, float)
        return Acquisition(mean, mean - np.median(mean), np.zeros_like(mean))
    raise ConfigError(f"acquisition method={method!r}; allowed: {list(METHODS)}")


def desirability(value: np.ndarray, low: float, high: float, goal: str = "max", shape: float = 1.0) -> np.ndarray:
    """Derringer's one-sided desirability in [0, 1]: 0 at/below ``low``, 1 at/above ``high`` (for max)."""
    d = np.clip((np.asarray(value, float) - low) / (high - low), 0.0, 1.0)
    return (1.0 - d if goal == "min" else d) ** shape


def check_objectives(objectives: Sequence[Objective], available: Sequence[str]) -> None:
    """Raise ConfigError if there is no objective, or one names a target that is not predicted."""
    if not objectives:
        raise ConfigError("no objective given; name at least one target")
    for obj in objectives:
        if obj.target not in available:
            raise ConfigError(f"objective on target '{obj.target}', which has no predictions "
                              f"(no champion); predicted targets: {sorted(available)}")


def combine_targets(means: Mapping[str, np.ndarray], sigmas: Mapping[str, np.ndarray],
                    objectives: Sequence[Objective], known: Mapping[str, np.ndarray], *,
                    combine: str = "weighted") -> tuple[np.ndarray, np.ndarray]:
    """Fold several targets into one predicted score and its standard deviation.

    ``known`` (measured values) sets each target's scale (weighted) or default desirability bounds.
    ``weighted``: ``sum w_t s_t (m_t - mu_t) / sd_t / sum w_t`` (``s_t = -1`` for a minimized target),
    sigma combined as for independent targets. ``desirability`` (Derringer & Suich): the weighted
    geometric mean of per-target desirabilities of the mean, sigma by the delta method
    (``dD/dm_t * sigma_t`` in quadrature).
    """
    check_objectives(objectives, list(means))
    if combine not in COMBINES:
        raise ConfigError(key="combine", value=combine, allowed=list(COMBINES))
    total = sum(o.weight for o in objectives)
    if combine == "weighted":
        score, var = 0.0, 0.0
        for o in objectives:
            ref = np.asarray(known.get(o.target, means[o.target]), float)
            ref = ref[np.isfinite(ref)]
            mu, sd = (float(np.mean(ref)), float(np.std(ref)) or 1.0) if len(ref) else (0.0, 1.0)
            sign = -1.0 if o.goal == "min" else 1.0
            w = o.weight / total
            score = score + w * sign * (np.asarray(means[o.target], float) - mu) / sd
            var = var + (w * np.asarray(sigmas[o.target], float) / sd) ** 2
        return np.asarray(score, float), np.sqrt(var)
    logs, grads = [], []
    for o in objectives:
        ref = np.asarray(known.get(o.target, means[o.target]), float)
        ref = ref[np.isfinite(ref)]
        low = o.low if o.low is not None else float(np.percentile(ref, 5))
        high = o.high if o.high is not None else float(np.percentile(ref, 95))
        if not low < high:
            raise ConfigError(f"objective '{o.target}': desirability bounds low={low} high={high} are empty")
        # a small floor keeps the geometric mean and its gradient finite at d = 0
        d = np.maximum(desirability(means[o.target], low, high, o.goal), 1e-3)
        logs.append(o.weight / total * np.log(d))
        grads.append((o.weight / total, d, abs(high - low)))
    score = np.exp(np.sum(logs, axis=0))
    var = sum((score * w / d / span * np.asarray(sigmas[o.target], float)) ** 2
              for (w, d, span), o in zip(grads, objectives))
    return score, np.sqrt(var)
