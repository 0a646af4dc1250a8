"""The comparison table as Markdown, with a sentence per target saying who beats the baseline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nacarbon.comparison.table import BASELINE
from nacarbon.evaluation.significance import BEATS, DEFAULT_MIN_EFFECT, SMALL_EFFECT, TEST_NAME
from nacarbon.reporting.md_html import md_table


def _num(value: float) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.3g}"


def _pm(row: pd.Series, metric: str) -> str:
    return f"{_num(row[f'{metric}_mean'])} ± {_num(row[f'{metric}_std'])}"


def markdown_rows(part: pd.DataFrame) -> list[str]:
    """One target's rows of :func:`~nacarbon.comparison.table.comparison_table` as Markdown table lines."""
    rows = []
    for _, r in part.iterrows():
        is_base = r["model"] == BASELINE
        verdict = "—" if is_base else (f"**{r['verdict']}**" if r["verdict"] == BEATS else r["verdict"])
        p = "—" if is_base else f"{_num(r['p_value'])} / {_num(r['p_adjusted'])}"
        delta = "—" if is_base else f"{r['delta_rmse']:+.3g} [{_num(r['ci_low'])}, {_num(r['ci_high'])}]"
        name = "baseline (training mean)" if is_base else r["model"]
        gain = "—" if is_base else f"{r['relative_gain']:.0%}" if np.isfinite(r["relative_gain"]) else "n/a"
        rows.append([name, r["family"], r["search"] or "—", _pm(r, "r2"), _pm(r, "rmse"), _pm(r, "mae"), delta, p,
                     gain, verdict])
    return md_table(["model", "family", "search", "R²", "RMSE", "MAE", "ΔRMSE [95 % CI]", "p raw / Holm-adj.",
                     "−ΔRMSE / baseline", "verdict"], rows)[:-1]


def verdict_sentence(target: str, part: pd.DataFrame, best: Sequence[str], *, alpha: float) -> str:
    """Say in words which models beat the baseline on ``target``, or that none does.

    ``best`` are the significant winners, best first; ``alpha`` is the level of the Holm-adjusted p.
    """
    models = part[part["model"] != BASELINE]
    n_models, n_folds = len(models), int(part["n_folds"].iloc[0])
    if len(models) and models["p_adjusted"].isna().all():
        return (f"**Not tested on {target}**: {models['test'].iloc[0]}; no model can beat the baseline "
                f"({n_models} models, {n_folds} splits).")
    test = f"{TEST_NAME}, {n_folds} splits, alpha = {alpha:g}"
    if not best:
        text = f"**No model beats the mean baseline significantly on {target}** ({n_models} models tried; {test})."
        raw = models[(models["p_value"] < alpha) & (models["delta_rmse"] < 0)]
        if len(raw):
            text += (f" Without the correction for {n_models} comparisons, p < {alpha:g} for: "
                     f"{', '.join(raw['model'])}.")
        return text
    relevant = [m for m in best if (models.loc[models["model"] == m, "verdict"] == BEATS).any()]
    text = f"Beating the mean baseline significantly on {target} ({test}): {', '.join(best)}."
    if not relevant:
        text += (f" **Small effect**: none removes {DEFAULT_MIN_EFFECT:.0%} of the baseline's RMSE "
                 f"(verdict `{SMALL_EFFECT}`): shown, not ranked by screening.")
    return text


def comparison_markdown(table: pd.DataFrame, best: Mapping[str, Sequence[str]], *, header: Mapping[str, str],
                        alpha: float, missing: Sequence[str] = (),
                        plots: Mapping[str, str] | None = None) -> str:
    """The whole comparison as a Markdown document.

    ``best`` maps each target to its winners (:func:`~nacarbon.comparison.table.winners`); ``header`` holds
    the preamble's key -> value lines (dataset, data version, cv...); ``missing`` are targets asked for
    without finished runs; ``plots`` maps a target to the PNG linked under its table.
    """
    lines = ["# Model comparison against the mean baseline", ""]
    lines += [f"- {k}: {v}" for k, v in header.items()]
    lines += ["", "Cells are mean ± standard deviation over the outer folds (every source paper on one side "
              "of each split). ΔRMSE is the model's mean fold RMSE minus the baseline's on the same folds, with "
              "its 95 % interval; p is the one-sided corrected resampled t-test (Nadeau–Bengio), adjusted by "
              "Holm across the models of the target. The verdict joins that test and a practical-effect rule: "
              f"`{BEATS}` = significant and −ΔRMSE ≥ {DEFAULT_MIN_EFFECT:.0%} of the baseline's RMSE; "
              f"`{SMALL_EFFECT}` = significant, smaller effect (shown, not ranked); `no-gain` = not significant.", ""]
    nobody = [t for t, w in best.items() if not w]
    if nobody:
        lines += [f"Targets no model beats significantly: {', '.join(nobody)}.", ""]
    for target, part in table.groupby("target", sort=False):
        lines += [f"## {target}", "", *markdown_rows(part), "",
                  verdict_sentence(str(target), part, best.get(str(target), []), alpha=alpha), ""]
        if plots and target in plots:
            lines += [f"![{target}]({plots[target]})", ""]
    for target in missing:
        lines += [f"## {target}", "", f"No finished training runs for {target} match this selection.", ""]
    return "\n".join(lines)
