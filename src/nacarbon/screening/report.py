"""Files a screen leaves behind: the Table-3-style top table, the Pareto set, maps, a summary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from omegaconf import DictConfig

from nacarbon.screening.heatmap import prediction_map
from nacarbon.tracking import tags as T
from nacarbon.reporting.md_html import markdown_table
from nacarbon.uncertainty.predictor import interval_promise


def interval_note(champions: dict) -> list[str]:
    """What ``lo_*``/``hi_*`` mean, per champion (each carries its own calibration)."""
    lines = ["Intervals (`lo_*`, `hi_*`): each champion's own conformal interval, the same one `python -m predict` "
             "and the served model give: normalized CV+ calibrated over held-out *papers*; calibrated per lab "
             "when `paper_share` is set (with the stated probability, at least that share of a new lab's samples "
             "falls inside), per sample otherwise; wider where the sample is far from the training data; "
             "clipped to the physical range of the target."]
    for t, c in champions.items():
        reg = c.predictor.regressor
        lines.append(f"- `{t}`: {interval_promise(reg)} (difficulty={reg.difficulty}, "
                     f"{len(reg.fold_models_)} paper-grouped folds), range {c.predictor.bounds}")
    return lines


def domain_note(required: bool) -> str:
    """What ``domain_score``/``in_domain`` mean in a screen."""
    return ("`domain_score` is the largest over the champions of each one's domain score: the mean distance "
            "to its nearest training samples (skewed features log-scaled, then standardized) divided by the "
            "95 % quantile of the same distance for a new paper's samples to the other papers. <= 1 is in "
            "domain; candidates outside any champion's domain are " + ("removed." if required else "kept, flagged."))


def winners_curse_note(rank_by: str, n_rows: int) -> str:
    """The selection bias of the top of a screen, stated plainly."""
    basis = ("the conservative interval bound (lower bound of targets to maximise, upper bound of those to "
             "minimise; `rank_by=lcb`)" if rank_by == "lcb" else "the point predictions (`rank_by=mean`)")
    return (f"**Ranked on {basis}. Winner's curse:** an interval's coverage holds for a candidate taken at "
            f"random, not for the {n_rows} picked as best out of many. Picking the top of a screen picks the "
            "candidates whose prediction errors happen to be most favourable, so their measured values will on "
            "average fall short of the predictions (and below the intervals more often than stated). Read these "
            "rows as candidates to make and measure, not as expected results; ranking on the lower bound "
            "(`screen.rank_by=lcb`) reduces the bias but does not remove it.")


def write_outputs(result, champions: dict, cfg: DictConfig, out_dir: Path, *, ranked: list[str],
                  shown_only: list[str], missing: list[str], skipped_rules: list[str],
                  table: pd.DataFrame) -> list[Path]:
    """Write the screen's tables, maps and summary into ``out_dir``; return the files."""
    files: list[Path] = []
    table.to_csv(out_dir / "top_table.csv", index=False)
    result.pareto.to_csv(out_dir / "pareto.csv", index=False)
    files += [out_dir / "top_table.csv", out_dir / "pareto.csv"]
    lines = [f"# Screening: grid `{cfg.screen.name}`, {result.n_candidates:,} candidates, {result.n_passed:,} feasible",
             "", "Models (registry champions):", ""]
    for t, c in champions.items():
        why = ("verdict small-effect: significant, but it removes < 10 % of the baseline's RMSE"
               if c.verdict == "small-effect" else "does not beat the mean baseline")
        verdict = "ranked" if t in ranked else f"shown, not ranked ({why})"
        lines.append(f"- `{t}`: {T.model_name(t)} v{c.version} ({c.tags.get('model', '?')}, outer-CV R² "
                     f"{float(c.tags.get('r2_mean', 'nan')):.3f}, RMSE {float(c.tags.get('rmse_mean', 'nan')):.4g}"
                     f" vs baseline {float(c.tags.get('baseline_rmse_mean', 'nan')):.4g}): {verdict}")
    for t in missing:
        lines.append(f"- `{t}`: no champion (no model beats the mean baseline, or none promoted): not predicted")
    if skipped_rules:
        lines += ["", f"Rules not applied (their target is not predicted): {', '.join(skipped_rules)}"]
    lines += ["", *interval_note(champions), "", "Domain: " + domain_note(cfg.screen.require_in_domain),
              "", winners_curse_note(str(cfg.screen.rank_by), len(table)),
              "", f"## Top {len(table)} by weighted score", "", markdown_table(table), "",
              f"Pareto front over {', '.join(ranked)}: {len(result.pareto)} candidates (pareto.csv).", "",
              "Rule failures: " + ", ".join(f"{k} {v:,}" for k, v in result.summary.get("rule_failures", {}).items())]
    (out_dir / "top_table.md").write_text("\n".join(lines) + "\n")
    (out_dir / "summary.json").write_text(json.dumps(result.summary, indent=1, default=str))
    files += [out_dir / "top_table.md", out_dir / "summary.json"]
    parquet = out_dir / "candidates.parquet"
    if parquet.exists():
        files.append(parquet)
        for m in cfg.screen.maps:
            if m.target not in champions:
                continue
            cols = list({m.x, m.y, f"pred_{m.target}", "passed"})
            frame = pq.read_table(parquet, columns=cols).to_pandas()
            frame = frame[frame["passed"]]
            if frame.empty:
                continue
            agg = "max" if champions[m.target].higher_is_better else "min"
            path = out_dir / f"map_{m.target}_{m.x}_{m.y}.png"
            prediction_map(frame, m.x, m.y, f"pred_{m.target}", path=path, agg=agg,
                           title=f"{m.target}: {agg} over other parameters, feasible")
            files.append(path)
    return files
