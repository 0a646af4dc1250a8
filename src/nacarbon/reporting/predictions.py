"""The Markdown summary ``predict`` writes next to its output, and the per-target facts it shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nacarbon.reporting.md_html import markdown_table, md_table
from nacarbon.tracking import tags as T

if TYPE_CHECKING:
    import pandas as pd

    from nacarbon.registry.champions import ChampionModel

# Why a lab offset is applied, and how (the shares are measured, see experiments/).
CALIBRATION = (
    "The file is treated as one lab. About 45 % of the models' error variance on a new paper is a "
    "per-paper offset (between-paper share τ²/(τ²+σ²) of ExtraTrees' out-of-fold residuals: 0.45 "
    "literature ICE, 0.46 merged ICE, 0.39 plateau capacity), so the rows with a measured value serve as the lab's "
    "references: their mean residual, "
    "shrunk towards 0 by n / (n + σ²/τ²) (τ², σ²: between- and within-paper variance of the "
    "champion's out-of-fold residuals), is added to **every** row's prediction and interval "
    "(`pred/lo/hi_<t>`; the model's own answer is kept as `*_uncalibrated`; `reference_<t>` marks "
    "the references). Interval widths are kept: the conformal width already allows for an "
    "unknown lab's offset. Turn it off with `lab_calibration=false`.")


@dataclass
class TargetCheck:
    """One target's answer facts: champion, lab check against measured values, lab offset."""

    target: str
    column: str
    label: str
    unit: str
    champion: ChampionModel
    check: dict = field(default_factory=dict)          # n, r2, rmse, mae, coverage, mean_width
    offset: dict = field(default_factory=dict)         # offset, sd, n, tau2, sigma2 (when calibrated)
    conditions: dict = field(default_factory=dict)     # filters (conf/target), n_outside (rows left unanswered)


def _fmt(v: float, digits: int = 3) -> str:
    return "–" if v != v else f"{v:.{digits}g}"


def _models(table: pd.DataFrame, checks: list[TargetCheck]) -> list[str]:
    from nacarbon.uncertainty.answer import describe_conditions

    lines = ["## Models", ""]
    for c in checks:
        tags = c.champion.tags
        lines.append(f"- `{c.target}` ({c.label}, {c.unit}): {T.model_name(c.target)} v{c.champion.version} "
                     f"({tags.get('model', '?')}, data version {tags.get('data_version', '?')}, "
                     f"run {c.champion.run_id}); {int(table[f'in_domain_{c.target}'].sum())} of {len(table)} "
                     f"samples in its domain")
        if c.conditions.get("filters"):
            lines.append(f"  - trained on {describe_conditions(c.conditions['filters'])} only: "
                         f"{c.conditions['n_outside']} sample(s) with another value are "
                         f"left unanswered (`conditions_{c.target}` says why); a sample that does not say is "
                         f"answered as if it met them")
    lines += ["", "## What the columns mean", ""]
    for c in checks:
        lines.append(f"- `{c.target}`: {c.champion.predictor.describe()} Per target the columns are suffixed "
                     f"`_{c.target}`; `nearest<i>_{c.target}_sample_id/paper_id/distance` are the closest "
                     f"training samples in that space.")
    return [*lines, "- `in_domain`: the sample is inside every target's domain.", ""]


def _lab_check(checks: list[TargetCheck]) -> list[str]:
    measured = [c for c in checks if c.check.get("n", 0) >= 1]
    if not measured:
        return []
    rows = [[c.target, int(c.check["n"]), _fmt(c.check["r2"]), _fmt(c.check["rmse"]), _fmt(c.check["mae"]),
             _fmt(c.check["coverage"], 2), _fmt(c.check["mean_width"])] for c in measured]
    return ["## Check against your measured values", "",
            "The models' own answers (before any lab offset) on the rows where the file holds a measured "
            "value; parity plots with the intervals are in the MLflow run (plots/).", "",
            *md_table(["target", "n", "R²", "RMSE", "MAE", "interval coverage", "mean width"], rows)]


def _calibration(checks: list[TargetCheck], lab_calibration: bool) -> list[str]:
    lines = ["## Lab calibration", ""]
    if not lab_calibration:
        return [*lines, "Off (`lab_calibration=false`): every prediction is the model's own."]
    if not any(c.offset for c in checks):
        return [*lines, "No row holds a measured target, so no lab offset was estimated: every prediction is the "
                        "model's own. Add a few samples you measured (with their target values) to calibrate."]
    rows = [[c.target, c.offset["n"], f"{c.offset['offset']:+.3g}", f"{c.offset['sd']:.3g}",
             f"{c.offset['tau2']:.3g}", f"{c.offset['sigma2']:.3g}"] for c in checks if c.offset]
    header = ["target", "references", "offset added", "offset sd", "τ²", "σ²"]
    return [*lines, CALIBRATION, "", *md_table(header, rows), "Targets without measured rows are not shifted."]


def summary_markdown(src: Path, out_path: Path, table: pd.DataFrame, checks: list[TargetCheck], *,
                     lab_calibration: bool) -> str:
    """The Markdown written next to the output: models, what the columns mean, lab check and offset."""
    show = [c for c in table.columns if c in ("sample_id",)]
    for c in checks:
        show += [f"pred_{c.target}", f"lo_{c.target}", f"hi_{c.target}", f"domain_score_{c.target}"]
    after = ", after the lab offset)" if any(c.offset for c in checks) else ")"
    lines = [f"# Predictions for `{src.name}` ({len(table)} samples) -> `{out_path.name}`", "",
             *_models(table, checks), *_lab_check(checks), *_calibration(checks, lab_calibration),
             "", f"## Predictions (first 20 rows{after}", "", markdown_table(table[show].head(20).round(3)), ""]
    return "\n".join(lines)
