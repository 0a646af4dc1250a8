"""The comparisons the reproduction report prints, computed once from its inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nacarbon.targets import TargetSpec
from nacarbon.data import columns as C
from nacarbon.reporting import paper
from nacarbon.reporting.agreement import compare_correlations
from nacarbon.reporting.ranges import best_rows, box_vs_rest, model_agreement, range_counts

NAMES = {C.D002_NM: "d002", C.LA_NM: "La", C.LC_NM: "Lc", C.ID_IG: "ID/IG", C.SSA_M2_G: "SSA"}
UNITS = {C.D002_NM: " nm", C.LA_NM: " nm", C.LC_NM: " nm", C.ID_IG: "", C.SSA_M2_G: " m²/g"}
GROUP_ORDER = ("hard", "soft", "all")


@dataclass
class ReportInputs:
    """What the reproduction report is built from (tables computed by the analysis, and the store)."""

    dataset: str
    data_version: str
    frame: pd.DataFrame
    targets: list[TargetSpec]
    spearman: pd.DataFrame
    alpha: float = 0.05
    group_col: str | None = C.MATERIAL_CLASS
    maps: pd.DataFrame = field(default_factory=pd.DataFrame)
    importance: dict[str, pd.DataFrame] = field(default_factory=dict)
    shap_figures: dict[str, list[str]] = field(default_factory=dict)
    models: dict[str, tuple[object, pd.DataFrame]] = field(default_factory=dict)  # target -> (model, X)
    runs: pd.DataFrame | None = None            # nacarbon.registry.leaderboard.model_table
    heatmaps: dict[str, str] = field(default_factory=dict)   # group -> PNG
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, str] = field(default_factory=dict)


@dataclass
class Facts:
    """Every number the report sets beside the paper's."""

    corr: pd.DataFrame
    groups: dict[str, pd.Series]
    counts: pd.DataFrame
    best: dict[str, pd.DataFrame]
    box: dict[str, dict]
    agree: dict[str, dict]


def name(column: str) -> str:
    """Short plain-text name of a structural column (``la_nm`` -> ``La``)."""
    return NAMES.get(column, column)


def fmt_p(p: float) -> str:
    """A p value as printed: ``<0.001``, three decimals, or ``n/a``."""
    if p is None or not np.isfinite(p):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_eq(p: float) -> str:
    """``p = 0.013`` or ``p < 0.001``, for running text and table cells."""
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def fmt(x: float, digits: int = 3) -> str:
    """A number to ``digits`` significant figures (``n/a`` for NaN)."""
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


def group_masks(frame: pd.DataFrame, group_col: str | None) -> dict[str, pd.Series]:
    """Row masks for the material classes present (hard, soft) and for all rows."""
    masks = {}
    if group_col and group_col in frame:
        labels = frame[group_col].astype("string")
        for g in GROUP_ORDER[:-1]:
            mask = (labels == g).fillna(False).astype(bool)
            if mask.any():
                masks[g] = mask
    masks["all"] = pd.Series(True, index=frame.index)
    return masks


def corr_verdict(row: pd.Series) -> str:
    """One phrase: does a computed coefficient reproduce the paper's (sign and significance)?"""
    if not np.isfinite(row["rho"]):
        return "not computable here"
    if row["same_sign"] and row["significant"]:
        text = "reproduced (same sign, p < α)"
    elif row["same_sign"]:
        text = f"same sign, not significant ({p_eq(row['p'])})"
    elif row["significant"]:
        text = "opposite sign, significant"
    else:
        text = "not reproduced (opposite sign, not significant)"
    return text + ("; paper's ρ inside our 95% CI" if row["paper_in_ci"] else "; paper's ρ outside our 95% CI")


def compute_facts(inp: ReportInputs) -> Facts:
    """Compute the comparisons of :class:`ReportInputs` with the paper."""
    groups = group_masks(inp.frame, inp.group_col)
    present = set(inp.spearman["group"])
    corr = compare_correlations(inp.spearman, paper.FIG2A, inp.targets, [g for g in groups if g in present],
                                alpha=inp.alpha)
    ranges = {c: b for c, b in paper.RANGES.items() if c in inp.frame}
    counts = range_counts(inp.frame, ranges, groups)
    best = {t.name: best_rows(inp.frame, t, ranges) for t in inp.targets}
    box = {t.name: box_vs_rest(inp.frame, t, ranges) for t in inp.targets}
    specs = {t.name: t for t in inp.targets}
    agree = {target: model_agreement(model, X, specs[target], ranges)
             for target, (model, X) in inp.models.items() if target in specs}
    return Facts(corr, groups, counts, best, box, agree)
