"""Files a screen leaves behind: the Table-3-style top table, the Pareto set, maps, a summary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from omegaconf import DictConfig

from nacarbon.screening.heatmap import prediction_map
from nacarbon.tracking import tags as T
from nacarbon.screening.optimize_report import markdown_table


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
        verdict = "ranked" if t in ranked else "shown, not ranked (does not beat the mean baseline)"
        lines.append(f"- `{t}`: {T.model_name(t)} v{c.version} ({c.tags.get('model', '?')}, outer-CV R² "
                     f"{float(c.tags.get('r2_mean', 'nan')):.3f}, RMSE {float(c.tags.get('rmse_mean', 'nan')):.4g}"
                     f" vs baseline {float(c.tags.get('baseline_rmse_mean', 'nan')):.4g}): {verdict}")
    for t in missing:
        lines.append(f"- `{t}`: no champion (no model beats the mean baseline, or none promoted): not predicted")
    if skipped_rules:
        lines += ["", f"Rules not applied (their target is not predicted): {', '.join(skipped_rules)}"]
    lines += ["", f"Intervals: {100 * (1 - float(cfg.screen.interval_alpha)):.0f} % split-conformal from each "
              "champion's out-of-fold residuals (`lo_*`, `hi_*`). `domain_score`: mean distance to the 5 nearest "
              "training structures in standardized feature space; candidates beyond the 95th percentile of the "
              "training rows' own distances are out of domain" + (" and removed." if cfg.screen.require_in_domain
                                                                   else " (kept, flagged)."),
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
