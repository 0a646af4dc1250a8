"""One answer for a user's samples from several targets' predictors, checked against measured values.

Predictions, intervals, domain and nearest samples side by side; a check against what the lab
measured; and the lab's offset and within-lab trend, estimated from those rows and applied to all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.errors import ConfigError
from nacarbon.targets import TRENDS  # conf/target/<t>.yaml lab_calibration.trend
from nacarbon.uncertainty.lab_offset import apply_lab_offset, variance_components
from nacarbon.uncertainty.lab_trend import (MODEL_PREDICTION, TREND_FEATURES, LabPrior, apply_lab_trend, fit_lab_prior,
                                            trend_beats_offset)
from nacarbon.uncertainty.predictor import SamplePredictor, build_features, check_input

# Per-target columns that SamplePredictor names without the target (one target per served model).
_SHARED = ("domain_score", "domain_percentile", "in_domain", "domain_note")


def answer_frame(frame: pd.DataFrame, predictors: Mapping[str, SamplePredictor],
                 source: str = "<input>") -> pd.DataFrame:
    """Validate ``frame`` once for every predictor's features (DataValidationError), then answer each target.

    Returns the input columns, then per target ``pred/lo/hi_<t>``, ``domain_score_<t>``,
    ``domain_percentile_<t>``, ``in_domain_<t>``, ``domain_note_<t>`` and
    ``nearest<i>_<t>_{sample_id,paper_id,distance}``; last ``in_domain`` (inside every target's domain).
    """
    features = list(dict.fromkeys(f for p in predictors.values() for f in p.features))
    typed = check_input(frame, features, source)
    out = frame.reset_index(drop=True).copy()
    flags = []
    for target, predictor in predictors.items():
        answer = predictor.predict_features(build_features(typed, predictor.features))
        renamed = {}
        for col in answer.columns:
            if col in _SHARED:
                renamed[col] = f"{col}_{target}"
            elif col.startswith("nearest"):
                head, _, rest = col.partition("_")
                renamed[col] = f"{head}_{target}_{rest}"
        answer = answer.rename(columns=renamed)
        for col in answer.columns:
            out[col] = answer[col].to_numpy()
        flags.append(answer[f"in_domain_{target}"].to_numpy(dtype=bool))
    out["in_domain"] = np.logical_and.reduce(flags)
    return out


def describe_conditions(filters: Mapping[str, Sequence[str]]) -> str:
    """``"electrolyte ester; material_class hard or soft"``: a target's conditions in words."""
    return "; ".join(f"{col} {_either(allowed)}" for col, allowed in filters.items())


def _either(allowed: Sequence[str]) -> str:
    return " or ".join(map(str, allowed))


def outside_conditions(frame: pd.DataFrame, filters: Mapping[str, Sequence[str]] | None) -> np.ndarray:
    """Per row, why it is outside a target's conditions (``""`` inside, or the condition unknown).

    A target trained on some conditions only (``filter`` in ``conf/target/<t>.yaml``, e.g. the
    rate factor on ester cells) has no answer for a row with another value: its model never saw
    one and could not tell (the condition is constant in its training data). A row that does not
    say (no column, an empty cell) is answered; the summary states the condition.
    """
    reasons = np.full(len(frame), "", dtype=object)
    for col, allowed in (filters or {}).items():
        if col not in frame:
            continue
        values = frame[col].reset_index(drop=True)
        bad = values.notna() & (values.astype(str) != "") & ~values.isin(list(allowed))
        for i in np.flatnonzero(bad.to_numpy()):
            reasons[i] = "; ".join(filter(None, [reasons[i], f"{col} {values.iloc[i]!s} is not {_either(allowed)}"]))
    return reasons


def blank_outside(out: pd.DataFrame, target: str, reasons: np.ndarray) -> pd.DataFrame:
    """``out`` with ``target``'s answer emptied where ``reasons`` is set, and ``conditions_<t>`` added."""
    done = out.copy()
    outside = reasons != ""
    cols = [c for c in done.columns if c.startswith(("pred_", "lo_", "hi_"))
            and (c.endswith(f"_{target}") or c.endswith(f"_{target}_uncalibrated"))]
    done.loc[outside, cols] = np.nan
    done[f"conditions_{target}"] = np.where(outside, "outside the model's conditions: " + reasons.astype(str), "")
    return done


def measured_values(frame: pd.DataFrame, column: str) -> pd.Series:
    """The measured target values a user's file holds (NaN where none); all NaN without the column."""
    if column not in frame:
        return pd.Series(np.nan, index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def check_against_measured(out: pd.DataFrame, target: str, measured: pd.Series) -> dict[str, float]:
    """R², RMSE, MAE, interval coverage and mean width of one target on the rows with a measured value.

    ``out`` holds the model's own ``pred/lo/hi_<t>`` (before any lab offset); ``measured`` is aligned
    with it (NaN: not measured). ``r2`` is NaN below two rows or with constant measurements.
    """
    have = measured.notna().to_numpy()
    y = measured.to_numpy(dtype=float)[have]
    pred, lo, hi = (out[f"{s}_{target}"].to_numpy(dtype=float)[have] for s in ("pred", "lo", "hi"))
    n = int(have.sum())
    if n == 0:
        return {"n": 0.0}
    resid = y - pred
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid ** 2).sum()) / ss_tot if n >= 2 and ss_tot > 0 else float("nan")
    return {"n": float(n), "r2": r2, "rmse": float(np.sqrt(np.mean(resid ** 2))), "mae": float(np.mean(np.abs(resid))),
            "coverage": float(np.mean((lo <= y) & (y <= hi))), "mean_width": float(np.mean(hi - lo))}


def lab_variances(oof: pd.DataFrame) -> tuple[float, float]:
    """Between-paper (tau2) and within-paper (sigma2) variance of a champion's out-of-fold residuals."""
    group = oof[C.PAPER_ID] if C.PAPER_ID in oof else oof["group"]
    return variance_components(oof["y_true"] - oof["y_pred"], group.astype(str))


def lab_prior(oof: pd.DataFrame, training: pd.DataFrame | None, *, trend: str) -> LabPrior | None:
    """The within-lab trend prior from a champion's out-of-fold residuals (HTT, SSA joined from ``training``).

    None (offset alone) when ``trend`` (``lab_calibration.trend``) is ``never`` (capacity: its slopes
    do not carry across papers), when the table lacks the features, or with ``auto`` when the trend
    does not beat the offset on the training papers (:func:`trend_beats_offset`). ConfigError: unknown mode.
    """
    if trend not in TRENDS:
        raise ConfigError("unknown within-lab trend mode", key="lab_calibration.trend", value=trend,
                          allowed=list(TRENDS))
    if trend == "never":
        return None
    columns = [f for f in TREND_FEATURES if f != MODEL_PREDICTION]
    if training is None or C.SAMPLE_ID not in oof or C.SAMPLE_ID not in training \
            or any(f not in training for f in columns):
        return None
    rows = oof.merge(training[[C.SAMPLE_ID, *columns]].drop_duplicates(C.SAMPLE_ID), on=C.SAMPLE_ID, how="left")
    rows[MODEL_PREDICTION] = rows["y_pred"]
    group = rows[C.PAPER_ID] if C.PAPER_ID in rows else rows["group"]
    resid, group = rows["y_true"] - rows["y_pred"], group.astype(str).to_numpy()
    if not trend_beats_offset(resid, group, rows):
        return None
    return fit_lab_prior(resid, group, rows)


def calibrate_to_lab(out: pd.DataFrame, target: str, measured: pd.Series, *, tau2: float, sigma2: float,
                     bounds: tuple[float, float], prior: LabPrior | None = None) -> pd.DataFrame:
    """Treat the file as one lab: shift every row by the offset (and trend) its measured rows reveal.

    ``tau2``, ``sigma2`` from :func:`lab_variances`; with ``prior`` (:func:`lab_prior`) and HTT/SSA
    columns the trend is applied too (bench_kshot.py: better held-out ICE R2 at k = 3 than the offset).
    Adds ``reference_<t>``, ``lab_offset_<t>``, ``lab_offset_sd_<t>``, ``lab_offset_n_<t>`` and with the
    trend ``lab_trend_<t>``; originals as ``*_uncalibrated``; widths are kept (see ``apply_lab_offset``).
    """
    work = out.copy()
    work["_measured"] = measured.to_numpy(dtype=float)
    work[MODEL_PREDICTION] = work[f"pred_{target}"]
    if prior is not None and all(f in work for f in prior.features):
        done = apply_lab_trend(work, target, "_measured", prior, bounds=bounds)
    else:
        done = apply_lab_offset(work, target, "_measured", tau2=tau2, sigma2=sigma2, bounds=bounds, width="keep")
    done[f"reference_{target}"] = np.isfinite(work["_measured"].to_numpy())
    done = done.rename(columns={"lab_offset_n": f"lab_offset_n_{target}"}).drop(columns=["_measured", MODEL_PREDICTION])
    return done


def column_order(out: pd.DataFrame, inputs: Sequence[str], targets: Sequence[str]) -> list[str]:
    """Input columns first, then each target's block (prediction, interval, domain, neighbours, offset)."""
    cols = [c for c in inputs if c in out]
    owner: dict[str, str] = {}
    for t in sorted(targets, key=len, reverse=True):  # "plateau_capacity" before "capacity"
        for c in out.columns:
            if c not in cols and c not in owner and (c.endswith(f"_{t}") or f"_{t}_" in c):
                owner[c] = t
    for t in targets:
        cols += [c for c in out.columns if owner.get(c) == t]
    return cols + [c for c in out.columns if c not in cols]
