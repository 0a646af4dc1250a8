"""Find the training runs that compete for a target, and rank them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from mlflow.entities import Run
from mlflow.tracking import MlflowClient

from nacarbon.evaluation.significance import NOT_TESTED, SIGNIFICANT, verdict_of
from nacarbon.tracking import tags as T


@dataclass(frozen=True)
class Candidate:
    """One finished training run, reduced to what promotion needs."""

    run_id: str
    model: str
    score: float                  # the ranking metric (``metric``): outer-CV mean RMSE or MAE
    baseline_score: float         # the mean baseline's, in the same metric
    r2_pooled: float
    complexity: int
    beats_baseline: bool
    start_time: int
    tags: dict
    metrics: dict
    verdict: str = NOT_TESTED     # nacarbon.evaluation.significance.Verdict.name; beats_baseline = significant
    metric: str = "rmse_mean"     # what ``score`` is (promote's metric=)

    @property
    def label(self) -> str:
        """The metric as printouts name it: ``rmse_mean`` -> ``RMSE``, ``mae_mean`` -> ``MAE``."""
        return self.metric.split("_", 1)[0].upper()

    @classmethod
    def from_run(cls, run: Run, metric: str) -> "Candidate":
        """Build from an MLflow run logged by :mod:`nacarbon.tracking.training_run`."""
        m, t = run.data.metrics, run.data.tags
        return cls(run_id=run.info.run_id, model=t.get(T.MODEL, "?"), score=float(m[metric]),
                   baseline_score=float(m[f"baseline_{metric}"]), r2_pooled=float(m.get("r2_pooled", float("nan"))),
                   complexity=int(t.get(T.MODEL_COMPLEXITY, 99)), beats_baseline=t.get(T.BEATS_BASELINE) == "true",
                   start_time=int(run.info.start_time or 0), tags=dict(t), metrics=dict(m),
                   verdict=verdict_of(t.get(T.VERDICT, "")), metric=metric)


def find_candidates(client: MlflowClient, *, experiment: str, target: str, data_version: str, cv: str,
                    features: str, metric: str = "rmse_mean") -> list[Candidate]:
    """Finished training runs for one target on one data version, CV protocol and feature set.

    Runs of another data version or protocol are not comparable and are left out."""
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        return []
    filt = (T.kind_filter(T.TRAIN) + " and " + T.tag_filter(target=target, data_version=data_version, cv=cv,
                                                           features=features)
            + " and attributes.status = 'FINISHED'")
    runs = client.search_runs([exp.experiment_id], filter_string=filt, max_results=5000)
    return [Candidate.from_run(r, metric) for r in runs if metric in r.data.metrics]


def rank(candidates: list[Candidate], *, significant_first: bool = False) -> list[Candidate]:
    """Best first: lowest outer-CV score (RMSE or MAE); ties go to the simpler model, then the newer run.

    With ``significant_first`` the first is the best run the significance rule accepts (compare's winner).
    """
    def key(c: Candidate) -> tuple:
        return (significant_first and not c.beats_baseline, round(c.score, 12), c.complexity, -c.start_time)

    return sorted(candidates, key=key)


def with_significance(candidates: list[Candidate], table) -> list[Candidate]:
    """Candidates whose verdict is the one significance rule's, from ``significance_by_run``'s ``table``.

    ``metrics["beats_baseline_p"]`` holds the adjusted p; a run absent from the table does not beat the baseline.
    """
    by_run = table.set_index("family")
    out = []
    for c in candidates:
        if c.run_id in by_run.index:
            row = by_run.loc[c.run_id]
            verdict = verdict_of(str(row["verdict"]))
            out.append(replace(c, beats_baseline=verdict in SIGNIFICANT, verdict=verdict,
                               metrics={**c.metrics, "beats_baseline_p": float(row["p_adjusted"])},
                               tags={**c.tags, "beats_baseline_test": str(row["test"])}))
        else:
            out.append(replace(c, beats_baseline=False, verdict=NOT_TESTED,
                               tags={**c.tags, "beats_baseline_test": "not tested"}))
    return out
