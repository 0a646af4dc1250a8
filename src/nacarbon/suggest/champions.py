"""The glue between the registry's champions and the suggest library.

Each champion is the whole registered predictor (point, conformal interval, domain) with its
training table; these turn them into what :func:`~nacarbon.suggest.select.suggest_batch` reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nacarbon.errors import ConfigError
from nacarbon.uncertainty.predictor import build_features

if TYPE_CHECKING:
    from nacarbon.registry.champions import ChampionModel


def champion_predictions(champions: Mapping[str, ChampionModel], pool: pd.DataFrame) -> pd.DataFrame:
    """Each champion's whole predictor on ``pool``, aligned with it.

    Columns ``pred_<t>``, ``lo_<t>``, ``hi_<t>`` (the predictor's own interval, as ``predict`` and the
    screen give), ``domain_score`` (the largest of the predictors', 1 = a domain's edge, ``inf`` with
    too little structure data to place a candidate), ``in_domain`` (inside every domain) and
    ``domain_note`` (why not, by the predictor with the largest score). ConfigError if a predictor reads
    a column the pool does not set.
    """
    out, scores, notes = pd.DataFrame(index=pool.index), [], []
    for t, c in champions.items():
        predictor = c.predictor
        rows = build_features(pool, predictor.features)
        missing = [f for f in predictor.features if f not in rows]
        if missing:
            raise ConfigError(f"champion of '{t}' (v{c.version}) reads {missing}, which the candidate pool does not "
                              f"set; add them to process (e.g. process.{missing[0]}=[...]) or screen.grid")
        answer = predictor.predict_features(rows)
        for side in ("pred", "lo", "hi"):
            out[f"{side}_{t}"] = answer[f"{side}_{predictor.target}"].to_numpy(dtype=float)
        scores.append(answer["domain_score"].to_numpy(dtype=float))
        notes.append(answer["domain_note"].astype(str).to_numpy())
    worst = np.argmax(scores, axis=0)  # the champion whose domain the candidate is farthest out of
    out["domain_score"] = np.max(scores, axis=0)
    out["in_domain"] = out["domain_score"].to_numpy() <= 1.0
    out["domain_note"] = np.asarray(notes)[worst, np.arange(len(pool))] if len(pool) else []
    return out


def interval_alpha(champions: Mapping[str, ChampionModel]) -> float:
    """The champions' common interval miscoverage (a sigma is read from each interval with it)."""
    alphas = {t: float(c.predictor.regressor.alpha) for t, c in champions.items()}
    if len(set(alphas.values())) > 1:
        raise ConfigError(f"the champions' intervals have different miscoverage {alphas}; retrain them with one "
                          f"predictor.alpha so their uncertainties can be weighed together")
    return next(iter(alphas.values()))


def known_materials(champions: Mapping[str, ChampionModel]) -> pd.DataFrame:
    """The champions' training rows, one per sample, each target's measured value under its name."""
    frames = []
    for t, c in champions.items():
        frame = c.training.copy()
        frame[t] = frame[c.target_column]
        frames.append(frame)
    known = pd.concat(frames, ignore_index=True)
    if "electrolyte" not in known and "is_ether" in known:  # a training table holds the model's encoding
        known["electrolyte"] = known["is_ether"].map({1.0: "ether", 0.0: "ester"})
    keys = [k for k in ("sample_id", "source") if k in known]
    return known.groupby(keys, sort=False, dropna=False).first().reset_index() if keys else known
