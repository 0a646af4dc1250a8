"""The one-page summary ``make run`` ends with."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path

from omegaconf import DictConfig

from nacarbon.evaluation.significance import BEATS, DEFAULT_MIN_EFFECT, SIGNIFICANT, SMALL_EFFECT
from nacarbon.reporting.md_html import md_table

PROTOCOLS = "protocols.md"  # grouped vs ungrouped CV, benchmarks/bench_protocols.py


def _fmt(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3g}"


def target_rows(name: str, plan: DictConfig, state: dict) -> list[dict]:
    """Per compared target of plan ``name``: the one significance rule's verdict, from compare's table.

    The row's run is the best with a significant verdict (the one promotion considers), else the
    lowest-RMSE run. ``state`` is the pipeline's (see :func:`write_run_report`).
    """
    tables = [r.table for r in state.get("compare", {}).get(name, [])]
    train, decisions = state.get("train", {}), state.get("promote", {}) if name == state.get("promote_plan") else {}
    rows = []
    for target, spec in plan.targets.items():
        parts = [t[(t["target"] == target) & (t["model"] != "baseline")] for t in tables]
        part = next((p for p in parts if len(p)), None)
        if part is None:
            continue
        sig = part[part["verdict"].isin(SIGNIFICANT)]
        best = (sig if len(sig) else part).iloc[0]
        m = train.get((name, str(target), str(best["model"]), str(best["search"])), {})
        d = decisions.get(str(target))
        held = d is not None and d.candidate is not None and d.candidate.run_id == best["run_id"] and (
            d.action == "promote" or (d.action == "keep" and d.champion is not None
                                      and d.champion.run_id == d.candidate.run_id))
        champion = ("n/a (reproduction)" if name != state.get("promote_plan")
                    else "yes" if held and best["verdict"] in SIGNIFICANT else "no")
        rows.append({"target": str(target), "data": f"{spec.dataset} / {spec.features}",
                     "rows": int(m.get("n_rows", 0)), "papers": int(m.get("n_sources", 0)),
                     "family": str(best["model"]), "search": str(best["search"]),
                     "r2_pooled": m.get("r2_pooled", float("nan")), "r2_pooled_std": m.get("r2_pooled_std", float("nan")),
                     "rmse_pooled": m.get("rmse_pooled", float("nan")),
                     "delta_rmse": float(best["delta_rmse"]), "ci_low": float(best["ci_low"]),
                     "ci_high": float(best["ci_high"]), "p_adjusted": float(best["p_adjusted"]),
                     "significant": best["verdict"] in SIGNIFICANT, "verdict": str(best["verdict"]),
                     "relative_gain": float(best["relative_gain"]), "champion": champion,
                     "n_models": len(part), "n_splits": int(best["n_folds"])})
    return rows


def target_table(rows: list[dict]) -> list[str]:
    """Markdown lines of :func:`target_rows`."""
    def gain(r: dict) -> str:
        return f"{r['relative_gain']:.0%}" if math.isfinite(r["relative_gain"]) else "n/a"

    cells = [[r["target"], r["data"], str(r["rows"]), str(r["papers"]), f"{r['family']} ({r['search']})",
              f"{_fmt(r['r2_pooled'])} ± {_fmt(r['r2_pooled_std'])}", _fmt(r["rmse_pooled"]),
              f"{r['delta_rmse']:+.3g} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]", gain(r), _fmt(r["p_adjusted"]),
              r["verdict"] if r["verdict"] == BEATS else f"**{r['verdict']}**", r["champion"]] for r in rows]
    return md_table(["target", "data / features", "rows", "papers", "best family (search)", "pooled R²",
                     "pooled RMSE", "ΔRMSE [95 % CI]", "−ΔRMSE / baseline", "adj. p", "verdict", "champion"], cells)


def tuning_rows(name: str, plan: DictConfig, state: dict) -> list[list[str]]:
    """Per target and family of one plan: the untuned and the tuned run side by side.

    Cells: compare's outer-CV fold means (same splits) and pooled R² (mean over repeats). A family without
    ``tuned`` in the plan was trained untuned only (tuning dropped where it did not pay, protocols.md).
    """
    tables = [r.table for r in state.get("compare", {}).get(name, [])]
    train, out = state.get("train", {}), []
    for target, spec in plan.targets.items():
        parts = [t[(t["target"] == target) & (t["model"] != "baseline")] for t in tables]
        part = next((p for p in parts if len(p)), None)
        if part is None or "tuned" not in spec:
            continue
        for family, runs in part.groupby("model", sort=False):
            by = {str(r["search"]): r for _, r in runs.iterrows()}
            plain = by.get("none")
            tuned = next((r for s, r in by.items() if s != "none"), None)
            cell = []
            for r in (plain, tuned):
                m = {} if r is None else train.get((name, str(target), str(family), str(r["search"])), {})
                cell.append("—" if r is None else f"{_fmt(m.get('r2_pooled', float('nan')))} / {r['rmse_mean']:.4g}")
            if tuned is None:
                diff = "tuning dropped (did not pay)"
            else:
                diff = f"{tuned['rmse_mean'] - plain['rmse_mean']:+.3g}" if plain is not None else "n/a"
            out.append([str(target), str(family), *cell, diff])
    return out


TITLES = {"main": "Main job: each target on the widest data that carries it (promoted, screened)",
          "paper": "Reproduction of Liu et al. 2022: seed data, five structure features (not promoted)"}


def _intro(cfg: DictConfig, versions: Mapping[str, str]) -> list[str]:
    """The title and the one rule every verdict of the report follows."""
    lines = [f"# nacarbon run report ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"Search `{cfg.search_preset}` ({', '.join(cfg.search_overrides) or 'as configured'}), seed {cfg.seed}. "
             "Every family of a target is scored on the same repeated paper-grouped splits (no paper on both "
             "sides of a split) and judged by one rule: ΔRMSE = mean over splits of RMSE(model) − RMSE(mean "
             "baseline) with its 95 % interval, one-sided Nadeau–Bengio corrected resampled t-test, Holm across "
             "the families of the target; a model beats the baseline when the adjusted p < alpha. "
             f"A significant model is also judged on its practical effect: verdict `{BEATS}` when it removes at least "
             f"{DEFAULT_MIN_EFFECT:.0%} of the baseline's RMSE, `{SMALL_EFFECT}` (shown, not ranked) when less. "
             "`python -m compare`, `python -m promote`, this report and the screening apply that same verdict. "
             "Pooled R² and RMSE: within each of the 5 repeats the out-of-fold predictions cover every row once and "
             "are scored together; the table gives the mean ± standard deviation over the repeats.", "",
             f"Grouped vs ungrouped cross-validation on the same data and models (the gap a leak between papers "
             f"makes): [`experiments/{PROTOCOLS}`]({PROTOCOLS}).", ""]
    if versions:
        lines += ["Data versions: " + ", ".join(f"`{k}@{v}`" for k, v in versions.items()) + ".", ""]
    return lines


def _plan_section(name: str, plan: DictConfig, state: dict) -> list[str]:
    """One plan's targets: the verdict table, a line per target without a useful model, tuned vs untuned."""
    rows = target_rows(name, plan, state)
    if not rows:
        return []
    alpha = plan.significance.alpha
    lines = [f"## {TITLES.get(name, f'Plan {name}')}", "",
             f"cv `{plan.cv}`, alpha {alpha}; the run shown is the best whose verdict is significant, else "
             "the lowest-RMSE one. Full tables: "
             + ", ".join(f"`{r.out_dir}/table.md`" for r in state.get("compare", {}).get(name, [])) + ".", "",
             *target_table(rows)]
    for r in rows:
        if not r["significant"]:
            lines.append(f"- **{r['target']}: no model predicts better than the mean baseline** "
                         f"({r['n_models']} runs, {r['n_splits']} splits; best adjusted p {_fmt(r['p_adjusted'])}).")
        elif r["verdict"] == SMALL_EFFECT:
            lines.append(f"- **{r['target']}: significant but small** (removes {r['relative_gain']:.0%} of the "
                         f"baseline's RMSE < {DEFAULT_MIN_EFFECT:.0%}): shown, not ranked by screening.")
    tuning = tuning_rows(name, plan, state)
    if tuning:
        lines += ["", "Tuned vs untuned, same splits (pooled R² / fold-mean RMSE; Δ = tuned − untuned RMSE). "
                  "Promotion picks either run, so no champion is worse than its untuned family; \"tuning dropped\": "
                  "tuned runs did not beat untuned ones on these splits (`experiments/protocols.md`):", "",
                  *md_table(["target", "family", "untuned", "tuned", "ΔRMSE"], tuning)]
    return [*lines, ""]


def _outcomes(state: dict) -> list[str]:
    """What the registry did, the screening's top table and the step timings."""
    lines = []
    promote = state.get("promote", {})
    if promote:
        lines += ["## Registry", "", *(f"- `{target}`: {d.action}: {d.reason}" for target, d in promote.items()), ""]
    outcome = state.get("screen")
    if outcome is not None:
        lines += ["## Screening", "", (outcome.out_dir / "top_table.md").read_text().split("## ", 1)[-1]]
    timings = state.get("timings", {})
    if timings:
        lines += ["", "Step timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())]
    return lines


def write_run_report(cfg: DictConfig, state: dict, plans: Mapping[str, DictConfig] | None = None) -> Path:
    """Write ``experiments/run_report.md``: per plan and target the one rule's verdict, champions, screening.

    ``state`` is what the earlier steps left: ``train`` (plan, target, model, search) -> metrics, ``compare``
    plan -> ComparisonResults, ``promote`` target -> Decision, ``screen`` -> ScreenOutcome, ``timings``.
    """
    out = Path(cfg.paths.experiments_dir) / "run_report.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    state = {**state, "promote_plan": cfg.promote_plan}
    lines = _intro(cfg, state.get("data_version", {}))
    for name, plan in (plans or {}).items():
        lines += _plan_section(name, plan, state)
    out.write_text("\n".join([*lines, *_outcomes(state)]) + "\n")
    return out
