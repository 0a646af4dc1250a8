"""Make an Optuna study visible in MLflow: a trials table and two plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mlflow  # noqa: E402
import optuna  # noqa: E402


def log_study(study: optuna.Study, out_dir: Path) -> None:
    """Log ``trials.csv``, an optimisation-history PNG and a parameter-importance PNG."""
    out_dir.mkdir(parents=True, exist_ok=True)
    trials = study.trials_dataframe()
    trials.to_csv(out_dir / "trials.csv", index=False)
    mlflow.log_artifact(str(out_dir / "trials.csv"), artifact_path="tuning")
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    values = [t.value for t in done]
    best = [min(values[: i + 1]) for i in range(len(values))]
    ax.scatter([t.number for t in done], values, s=14, label="trial")
    ax.plot([t.number for t in done], best, "r-", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("inner-CV RMSE")
    ax.set_title(f"Optimisation history ({study.study_name})", fontsize=8)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "optimization_history.png", dpi=110)
    plt.close(fig)
    mlflow.log_artifact(str(out_dir / "optimization_history.png"), artifact_path="tuning")
    if len(done) >= 3 and len(study.best_params) >= 2:
        importances = optuna.importance.get_param_importances(study)
        fig, ax = plt.subplots(figsize=(6, 0.4 * len(importances) + 1.2))
        names = list(importances)[::-1]
        ax.barh(names, [importances[n] for n in names])
        ax.set_xlabel("importance (fANOVA)")
        ax.set_title("Hyperparameter importance", fontsize=9)
        fig.tight_layout()
        fig.savefig(out_dir / "param_importances.png", dpi=110)
        plt.close(fig)
        mlflow.log_artifact(str(out_dir / "param_importances.png"), artifact_path="tuning")
