"""The Markdown summary of a batch: a table of the picks and, per pick, why it is on the list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.reporting.md_html import md_table
from nacarbon.suggest.acquisition import Objective

SHOWN = (C.HTT_C, C.ELECTROLYTE, C.CURRENT_MA_G, *C.STRUCTURE)


def _num(value: object) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not np.isfinite(v):
        return ""
    return "0" if abs(v) < 1e-9 else f"{v:.4g}"


def _interval(row: pd.Series, target: str) -> str:
    return f"{_num(row[f'pred_{target}'])} [{_num(row[f'lo_{target}'])}, {_num(row[f'hi_{target}'])}]"


def picks_table(picks: pd.DataFrame, sample_ids: Sequence[str], targets: Sequence[str]) -> str:
    """The picks as a Markdown table: what to make, each prediction with its interval, mode, distances."""
    cols = [c for c in SHOWN if c in picks]
    head = ["rank", "sample_id", *cols, *(f"{t} [interval]" for t in targets), "mode", "domain_score",
            "nearest_distance"]
    rows = [[row["rank"], sid, *(_num(row[c]) for c in cols), *(_interval(row, t) for t in targets), row["mode"],
             _num(row["domain_score"]), _num(row["nearest_distance"])]
            for sid, (_, row) in zip(sample_ids, picks.iterrows())]
    return "\n".join(md_table(head, rows)[:-1])


def why(row: pd.Series, targets: Sequence[str]) -> str:
    """One pick's reason: predictions with intervals, exploit/explore split, domain, nearest known."""
    preds = ", ".join(f"{t} {_interval(row, t)}" for t in targets)
    split = (f"acquisition {_num(row['acquisition'])}: {_num(row['exploit'])} from the predicted value, "
             f"{_num(row['explore'])} from the uncertainty")
    domain = "" if not np.isfinite(float(row["domain_score"])) else \
        f"; domain score {_num(row['domain_score'])} (1 = the domain's edge)"
    near = str(row.get("nearest_known") or "none")
    if bool(row.get("series_dominated", False)):
        domain += ("; a sibling in its series beats it on the series trends, so it ranks lower than its "
                   "prediction alone says (series prior)")
    return (f"**{row['mode']}** — predicted {preds}; {split}{domain}. "
            f"Nearest known materials: {near}.")


def pool_sentence(n_pool: int, *, candidates: str | None, process: Sequence[str], grid: str) -> str:
    """Where the candidates come from: the lab's own file, or the lab's settings x the structure grid."""
    if candidates:
        return f"{n_pool:,} of your samples in `{candidates}`"
    return (f"{n_pool:,} candidates over what a lab controls ({', '.join(process)} x the structure "
            f"grid '{grid}') inside the physical rules on the settings")


def acquisition_sentence(method: str, kappa: float, xi: float, combine: str, alpha: float, min_distance: float,
                         diversity: Sequence[str]) -> str:
    """How picks are ranked and spread: the acquisition, its interval and the distance between picks."""
    return (f"{method} (kappa {kappa}, xi {xi}) on {combine} objectives, each champion's {1 - alpha:.0%} interval "
            f"(paper-grouped CV+, as `predict` and `screen` give); no two picks closer than {min_distance} on "
            f"({', '.join(diversity)}), the settings a lab controls")


def batch_header(batch_id: str, *, models: str, pool: str, n_eligible: int, n_in_domain: int,
                 require_in_domain: bool, series: str | None, from_lab: bool, acquisition: str, template: str,
                 n_asked: int, n_picked: int) -> list[str]:
    """The summary's opening lines: which models, which pool, which rule, and how to use the template.

    ``series`` is the series prior's sentence, or None when the prior is off.
    """
    if series is None:
        series = "Series prior: off" + ("." if from_lab else " (grid candidates have no series).")
    lines = [f"# Suggested batch {batch_id}", "",
             f"Models (registry champions): {models}.",
             f"Pool: {pool}, {n_eligible:,} also pass the rules on the predictions, {n_in_domain:,} of these in the "
             f"applicability domain{'' if require_in_domain else ' (not enforced: require_in_domain=false)'}.",
             series,
             f"Acquisition: {acquisition}.",
             f"Template: `{template}` — fill in the measured columns (and `source` where empty), then "
             f"`python -m nacarbon.db add {template}`; the next `make run` retrains on it.", ""]
    if n_picked < n_asked:
        lines += [f"Only {n_picked} of n={n_asked} picks: the rules, the domain and min_distance leave no more.", ""]
    return lines


def diversity_sentence(picks: pd.DataFrame, settings: Sequence[str], min_distance: float) -> str:
    """How spread the batch is: distinct lab settings among the picks, and the two closest picks' distance."""
    cols = [c for c in settings if c in picks]
    distinct = len(picks[cols].drop_duplicates()) if cols else len(picks)
    closest = float(picks["nearest_pick_distance"].min()) if len(picks) > 1 else float("nan")
    gap = (f"; the two closest picks are {_num(closest)} apart on them (log where skewed, standardized on the "
           f"known materials, as the domain's space; min_distance {min_distance:g})" if np.isfinite(closest) else "")
    return f"Diversity: {distinct} distinct ({', '.join(cols)}) settings among the {len(picks)} picks{gap}."


def outside_domain(pool: pd.DataFrame, frame: pd.DataFrame, require_in_domain: bool, *, listed: int = 20) -> list[str]:
    """Markdown lines naming the candidates the applicability domain left out, and why.

    A lab's own candidates (with ``sample_id``) are listed, at most ``listed``; grid ones are counted
    per reason. ``frame`` holds ``domain_score`` and ``domain_note`` aligned with ``pool``. Without
    ``require_in_domain`` only candidates with score ``inf`` (too little structure data) are left out.
    """
    score = frame["domain_score"].to_numpy(dtype=float)
    out = ~(score <= 1.0) if require_in_domain else np.isposinf(score)
    if not out.any():
        return []
    notes = frame["domain_note"].astype(str).to_numpy()[out]
    lines = [f"## Not picked: {int(out.sum()):,} candidate(s) outside the applicability domain", ""]
    if C.SAMPLE_ID in pool:
        ids = pool[C.SAMPLE_ID].astype(str).to_numpy()[out]
        lines += [f"- `{sid}`: {note}" for sid, note in list(zip(ids, notes))[:listed]]
        lines += [f"- and {len(ids) - listed:,} more"] if len(ids) > listed else []
    else:
        kinds = pd.Series(notes).str.replace(r" \(domain score [^)]*\)", "", regex=True).value_counts()
        lines += [f"- {k:,}: {note}" for note, k in kinds.items()]
    return lines + [""]


def summary_markdown(picks: pd.DataFrame, sample_ids: Sequence[str], objectives: Sequence[Objective], *,
                     header: Sequence[str], notes: Mapping[str, str] | None = None,
                     diversity: tuple[Sequence[str], float] | None = None, outside: Sequence[str] = ()) -> str:
    """The whole Markdown summary: ``header`` lines, the picks table, then one reason per pick.

    ``sample_ids`` are the template's, in pick order; ``diversity`` = (columns, min_distance) adds
    :func:`diversity_sentence`; ``outside`` (:func:`outside_domain`'s lines) and ``notes``
    (``label: text``) follow the reasons.
    """
    targets = [c[len("pred_"):] for c in picks.columns if c.startswith("pred_")]
    goals = ", ".join(f"{o.target} ({o.goal}, weight {o.weight:g})" for o in objectives)
    spread = [diversity_sentence(picks, *diversity)] if diversity is not None and len(picks) else []
    lines = [*header, f"Objectives: {goals}.", *spread, "", picks_table(picks, sample_ids, targets), "",
             "## Why each pick", ""]
    for sid, (_, row) in zip(sample_ids, picks.iterrows()):
        lines.append(f"{row['rank']}. `{sid}`: {why(row, targets)}")
    lines += ["", *outside]
    lines += [f"{k}: {v}" for k, v in (notes or {}).items()]
    lines += ["", "*exploit*: the predicted value lifts it more than its uncertainty does; *explore*: the "
              "uncertainty lifts it more (the models know least there, so measuring it teaches them most)."]
    return "\n".join(lines) + "\n"
