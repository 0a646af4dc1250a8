"""What an inverse design leaves behind: its Pareto set and trials as tables, files and a plot."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from matplotlib.figure import Figure

from nacarbon.reporting.md_html import markdown_table

FEASIBLE, TRIAL = "feasible", "trial"


@dataclass
class OptimizeResult:
    """Outcome of :func:`nacarbon.screening.optimize.inverse_design`.

    ``pareto``: feasible trials no other feasible one dominates (``trial``, features, answer columns),
    best first on the first objective; ``trials``: every trial, plus ``state``, ``ok_<constraint>`` and
    ``feasible``; ``study`` keeps the same values as user attributes; ``summary``: counts,
    per-constraint failures over complete trials, bounds, seed and population size.
    """

    pareto: pd.DataFrame
    trials: pd.DataFrame
    study: optuna.study.Study = field(repr=False)
    objectives: list[str]
    directions: dict[str, str]
    summary: dict


def _trials_frame(study: optuna.study.Study, features: list[str]) -> pd.DataFrame:
    rows = []
    for t in study.get_trials(deepcopy=False):
        complete = t.state == optuna.trial.TrialState.COMPLETE
        rows.append({TRIAL: t.number, **{f: t.params.get(f, np.nan) for f in features}, **t.user_attrs,
                     "state": t.state.name, **{f"ok_{k}": v <= 0 for k, v in t.constraints.items()},
                     FEASIBLE: complete and all(v <= 0 for v in t.constraints.values())})
    return pd.DataFrame(rows)


def study_result(study: optuna.study.Study, objectives: list[str], directions: dict[str, str],
                 bounds: Mapping[str, tuple[float, float]], *, seed: int, population_size: int) -> OptimizeResult:
    """Collect a finished inverse-design study into tables; ``seed``, ``population_size`` go to the summary.

    Optuna 5.0's ``best_trials`` already keeps only feasible COMPLETE trials once any trial has
    constraints; the front is filtered on ``feasible`` again so the result does not hang on that detail.
    """
    features = list(bounds)
    trials = _trials_frame(study, features)
    on_front = {t.number for t in study.best_trials}
    keep = trials[TRIAL].isin(on_front).to_numpy() & trials[FEASIBLE].to_numpy(dtype=bool)
    shown = [c for c in trials.columns if c != "state" and not c.startswith("ok_") and c != FEASIBLE]
    first = f"pred_{objectives[0]}"
    # NSGA-II re-proposes surviving parents unchanged; one row per distinct structure.
    pareto = (trials.loc[keep, shown].sort_values(TRIAL).drop_duplicates(subset=features)
              .sort_values([first, TRIAL], ascending=[directions[objectives[0]] == "min", True])
              .reset_index(drop=True))
    complete = trials[trials["state"] == "COMPLETE"]
    failures = {c[3:]: int((~complete[c].astype(bool)).sum()) for c in trials.columns if c.startswith("ok_")}
    summary = {"n_trials": len(trials), "n_complete": len(complete), "n_feasible": int(trials[FEASIBLE].sum()),
               "n_pareto": len(pareto), "objectives": objectives, "directions": directions,
               "constraint_failures": failures, "bounds": {f: list(b) for f, b in bounds.items()},
               "seed": seed, "population_size": int(population_size)}
    return OptimizeResult(pareto=pareto, trials=trials, study=study, objectives=objectives,
                          directions=directions, summary=summary)


def plot_front(result: OptimizeResult, path: Path) -> Path:
    """Write a PNG scatter of the trials on the first two objectives, the feasible Pareto front highlighted.

    With one objective there is no front: the prediction is drawn against the trial number (how the
    search converged).
    """
    trials = result.trials[result.trials["state"] == "COMPLETE"]
    feasible = trials[FEASIBLE].to_numpy(dtype=bool)
    fig = Figure(figsize=(6.0, 4.8), layout="constrained")
    ax = fig.add_subplot()
    objs = result.objectives
    if len(objs) >= 2:
        x, y = f"pred_{objs[0]}", f"pred_{objs[1]}"
        labels = [f"predicted {t} ({result.directions[t]})" for t in objs[:2]]
    else:
        x, y = TRIAL, f"pred_{objs[0]}"
        labels = ["trial", f"predicted {objs[0]} ({result.directions[objs[0]]})"]
    ax.scatter(trials.loc[~feasible, x], trials.loc[~feasible, y], s=10, marker="x", color="tab:red",
               alpha=0.4, label=f"infeasible ({int((~feasible).sum())})")
    ax.scatter(trials.loc[feasible, x], trials.loc[feasible, y], s=10, color="0.6",
               label=f"feasible ({int(feasible.sum())})")
    front = result.pareto.sort_values(x)
    ax.plot(front[x], front[y], "o-", ms=5, color="tab:blue", lw=1,
            label=f"Pareto set ({len(front)})")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title("Inverse design (NSGA-II) on the champions' predictions", fontsize=10)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=150)
    return path


def write_optimize_outputs(result: OptimizeResult, out_dir: Path, *, header: list[str] | None = None,
                           table_rows: int | None = None) -> list[Path]:
    """Write ``pareto.csv``, ``trials.csv``, ``pareto.md``, ``optimize_summary.json``, ``pareto_front.png``.

    ``header`` are Markdown lines above the table, which shows ``table_rows`` Pareto rows (default: all).
    """
    out_dir = Path(out_dir)
    files = [out_dir / "pareto.csv", out_dir / "trials.csv", out_dir / "pareto.md",
             out_dir / "optimize_summary.json"]
    result.pareto.to_csv(files[0], index=False)
    result.trials.to_csv(files[1], index=False)
    s = result.summary
    shown = result.pareto.head(table_rows) if table_rows is not None else result.pareto
    objectives = ", ".join(f"{t} ({d})" for t, d in result.directions.items())
    lines = [*(header or []), f"# Inverse design: {s['n_trials']} NSGA-II trials (population "
             f"{s['population_size']}, seed {s['seed']}), {s['n_feasible']} feasible", "",
             f"Objectives: {objectives}. Pareto set: {s['n_pareto']} structure(s) (pareto.csv; every trial "
             "in trials.csv).", "", markdown_table(shown), "",
             "Constraint failures (complete trials): "
             + ", ".join(f"{k} {v}" for k, v in s["constraint_failures"].items())]
    files[2].write_text("\n".join(lines) + "\n")
    files[3].write_text(json.dumps(s, indent=1, default=str))
    files.append(plot_front(result, out_dir / "pareto_front.png"))
    return files
