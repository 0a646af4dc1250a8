"""The one-page summary ``make run`` ends with."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path

from omegaconf import DictConfig

from nacarbon.reporting.md_html import md_table

PROTOCOLS = "protocols.md"  # grouped vs ungrouped CV, benchmarks/bench_protocols.py


def _fmt(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3g}"


def target_rows(name: str, plan: DictConfig, state: dict) -> list[dict]:
    """Per target of one plan: the verdict of the one significance rule, from compare's table.

    Parameters
    ----------
    name : str
        Plan name (``main``, ``paper``).
    plan : DictConfig
        The plan (``conf/plan/<name>.yaml``).
    state : dict
        The pipeline state: ``compare`` plan -> list of ComparisonResult, ``train`` (plan, target,
        model) -> metrics, ``promote`` target -> Decision (promoted plan only).

    Returns
    -------
    list of dict
        One row per target that was compared: the reported family is the best model that beats
        the baseline significantly (the one promotion considers), else the lowest-RMSE model.
    """
    tables = [r.table for r in state.get("compare", {}).get(name, [])]
    train, decisions = state.get("train", {}), state.get("promote", {}) if name == state.get("promote_plan") else {}
    rows = []
    for target, spec in plan.targets.items():
        parts = [t[(t["target"] == target) & (t["model"] != "baseline")] for t in tables]
        part = next((p for p in parts if len(p)), None)
        if part is None:
            continue
        sig = part[part["beats_baseline_significantly"]]
        best = (sig if len(sig) else part).iloc[0]
        m = train.get((name, str(target), str(best["model"])), {})
        d = decisions.get(str(target))
        held = d is not None and d.candidate is not None and d.candidate.run_id == best["run_id"] and (
            d.action == "promote" or (d.action == "keep" and d.champion is not None
                                      and d.champion.run_id == d.candidate.run_id))
        champion = ("n/a (reproduction)" if name != state.get("promote_plan")
                    else "yes" if held and bool(best["beats_baseline_significantly"]) else "no")
        rows.append({"target": str(target), "data": f"{spec.dataset} / {spec.features}",
                     "rows": int(m.get("n_rows", 0)), "papers": int(m.get("n_sources", 0)),
                     "family": str(best["model"]), "r2_pooled": m.get("r2_pooled", float("nan")),
                     "delta_rmse": float(best["delta_rmse"]), "ci_low": float(best["ci_low"]),
                     "ci_high": float(best["ci_high"]), "p_adjusted": float(best["p_adjusted"]),
                     "significant": bool(best["beats_baseline_significantly"]), "champion": champion,
                     "n_models": len(part), "n_splits": int(best["n_folds"])})
    return rows


def target_table(rows: list[dict]) -> list[str]:
    """Markdown lines of :func:`target_rows`."""
    cells = [[r["target"], r["data"], str(r["rows"]), str(r["papers"]), r["family"], _fmt(r["r2_pooled"]),
              f"{r['delta_rmse']:+.3g} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]", _fmt(r["p_adjusted"]),
              "yes" if r["significant"] else "**no**", r["champion"]] for r in rows]
    return md_table(["target", "data / features", "rows", "papers", "best family", "pooled R²",
                     "ΔRMSE [95 % CI]", "adj. p", "beats baseline", "champion"], cells)


def write_run_report(cfg: DictConfig, state: dict, plans: Mapping[str, DictConfig] | None = None) -> Path:
    """Write ``experiments/run_report.md``: per plan and target the one rule's verdict, champions, screening.

    Parameters
    ----------
    cfg : DictConfig
        The pipeline config.
    state : dict
        What the earlier steps left: ``train`` (plan, target, model) -> metrics, ``compare`` plan ->
        ComparisonResults, ``promote`` target -> Decision, ``screen`` -> ScreenOutcome, ``timings``.
    plans : mapping, optional
        Plan name -> plan config, as the pipeline ran them.

    Returns
    -------
    Path
    """
    out = Path(cfg.paths.experiments_dir) / "run_report.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    state = {**state, "promote_plan": cfg.get("promote_plan", "main")}
    versions = state.get("data_version", {})
    lines = [f"# nacarbon run report ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"Search `{cfg.search_preset}` ({', '.join(cfg.search_overrides) or 'as configured'}), seed {cfg.seed}. "
             "Every family of a target is scored on the same repeated paper-grouped splits (no paper on both "
             "sides of a split) and judged by one rule: ΔRMSE = mean over splits of RMSE(model) − RMSE(mean "
             "baseline) with its 95 % interval, one-sided Nadeau–Bengio corrected resampled t-test, Holm across "
             "the families of the target; a model beats the baseline when the adjusted p < alpha. "
             "`python -m compare`, `python -m promote`, this report and the screening apply that same verdict.", "",
             f"Grouped vs ungrouped cross-validation on the same data and models (the gap a leak between papers "
             f"makes): [`experiments/{PROTOCOLS}`]({PROTOCOLS}).", ""]
    if versions:
        lines += ["Data versions: " + ", ".join(f"`{k}@{v}`" for k, v in versions.items()) + ".", ""]
    titles = {"main": "Main job: each target on the widest data that carries it (promoted, screened)",
              "paper": "Reproduction of Liu et al. 2022: seed data, five structure features (not promoted)"}
    for name, plan in (plans or {}).items():
        rows = target_rows(name, plan, state)
        if not rows:
            continue
        alpha = plan.get("significance", {}).get("alpha", 0.05)
        lines += [f"## {titles.get(name, f'Plan {name}')}", "",
                  f"cv `{plan.cv}`, alpha {alpha}; the family shown is the best that beats the baseline "
                  "significantly, else the lowest-RMSE one. Full tables: "
                  + ", ".join(f"`{r.out_dir}/table.md`" for r in state.get("compare", {}).get(name, [])) + ".", "",
                  *target_table(rows)]
        for r in rows:
            if not r["significant"]:
                lines.append(f"- **{r['target']}: no model predicts better than the mean baseline** "
                             f"({r['n_models']} families, {r['n_splits']} splits; best adjusted p {_fmt(r['p_adjusted'])}).")
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
