"""The one-page summary ``make run`` ends with."""

from __future__ import annotations

import time
from pathlib import Path

from omegaconf import DictConfig

from nacarbon.evaluation.baseline import beats_baseline
from nacarbon.reporting.md_html import md_table


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def write_run_report(cfg: DictConfig, state: dict) -> Path:
    """Write ``experiments/run_report.md``: per-target verdicts, champions, screening top rows.

    Parameters
    ----------
    cfg : DictConfig
        The pipeline config.
    state : dict
        What the earlier steps left: ``train`` (target, model) -> metrics, ``promote`` target ->
        Decision, ``screen`` -> ScreenOutcome, ``timings``.

    Returns
    -------
    Path
    """
    out = Path(cfg.paths.experiments_dir) / "run_report.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# nacarbon run report ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"Dataset `{cfg.dataset.name}` at data version `{state.get('data_version', '?')}`, "
             f"cv `{cfg.cv.name}` (grouped by source paper), features `{cfg.features.name}`, "
             f"search `{cfg.search_preset}`.", ""]
    train = state.get("train", {})
    if train:
        lines += ["## Outer-CV results (mean over folds; baseline = mean predictor on the same folds)", ""]
        rows = [[target, model, f"{_fmt(m['r2_mean'])} ± {_fmt(m['r2_std'])}", _fmt(m["rmse_mean"]), _fmt(m["mae_mean"]),
                 _fmt(m["baseline_rmse_mean"]), "yes" if beats_baseline(m) else "no"]
                for (target, model), m in sorted(train.items(), key=lambda kv: (kv[0][0], kv[1]["rmse_mean"]))]
        lines += md_table(["target", "model", "R²", "RMSE", "MAE", "baseline RMSE", "beats baseline"], rows)
        for target in cfg.targets:
            rows = [m for (t, _), m in train.items() if t == target]
            if rows and not any(beats_baseline(m) for m in rows):
                lines.append(f"- **{target}: no model predicts better than the mean baseline.**")
        lines.append("")
    promote = state.get("promote", {})
    if promote:
        lines += ["## Registry", ""]
        for target, d in promote.items():
            lines.append(f"- `{target}`: {d.action}: {d.reason}")
        lines.append("")
    outcome = state.get("screen")
    if outcome is not None:
        lines += ["## Screening", "", (outcome.out_dir / "top_table.md").read_text().split("## ", 1)[-1]]
    timings = state.get("timings", {})
    if timings:
        lines += ["", "Step timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())]
    out.write_text("\n".join(lines) + "\n")
    return out
