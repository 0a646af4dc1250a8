"""Register the best run of a target and move the ``champion`` alias, all or nothing.

The best run becomes ``champion`` only if it beats the mean baseline and the current champion, unless
that one is stale (another data version: not comparable). ``force`` overrides both, recorded.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from nacarbon.errors import RegistryError
from nacarbon.registry.descriptions import model_description, version_description
from nacarbon.registry.selection import Candidate
from nacarbon.tracking import tags as T
from nacarbon.tracking.runs import open_run


@dataclass
class Champion:
    """The version currently holding the alias."""

    version: str
    run_id: str
    score: float                      # in the metric the candidates are ranked by
    data_version: str
    cv: str
    features: str


@dataclass
class Decision:
    """What promotion will do (or did)."""

    action: str                       # "promote", "keep", "register-only" or "nothing"
    reason: str
    candidate: Candidate | None = None
    champion: Champion | None = None
    forced: bool = False
    version: str | None = None        # filled in once registered
    notes: list[str] = field(default_factory=list)


def current_champion(client: MlflowClient, target: str, metric: str = "rmse_mean") -> Champion | None:
    """The version aliased ``champion`` for a target, or None.

    Its score is read from its run in the candidates' metric (the version tags are rounded)."""
    try:
        mv = client.get_model_version_by_alias(T.model_name(target), T.CHAMPION_ALIAS)
    except MlflowException:
        return None
    t = mv.tags
    try:
        score = float(client.get_run(mv.run_id).data.metrics[metric])
    except (MlflowException, KeyError):
        score = float(t.get(metric, "nan"))
    return Champion(version=str(mv.version), run_id=mv.run_id, score=score,
                    data_version=t.get("data_version", ""), cv=t.get("cv", ""), features=t.get("features", ""))


def decide(ranked: list[Candidate], champion: Champion | None, *, data_version: str, cv: str, features: str,
           force: bool = False) -> Decision:
    """Apply the promotion rules to ranked candidates (best first). Pure: touches no store."""
    if not ranked:
        return Decision("nothing", f"no finished training run on data version {data_version}, cv={cv}, "
                                   f"features={features}", champion=champion)
    best = ranked[0]
    m = best.label   # the metric the runs were ranked by (promote's metric=), as printouts name it
    if champion is not None and champion.run_id == best.run_id:
        return Decision("keep", f"the best run ({best.model}, {m} {best.score:.4g}) is already champion "
                                f"v{champion.version}", best, champion)
    if force:
        return Decision("promote", f"forced: {best.model} ({m} {best.score:.4g}, baseline {best.baseline_score:.4g}, "
                                   f"beats baseline: {best.beats_baseline})", best, champion, forced=True)
    p = best.metrics.get("beats_baseline_p")
    p_text = "" if p is None else f", Holm-adjusted p {p:.3g}"
    if not best.beats_baseline:
        return Decision("register-only", f"no model beats the mean baseline significantly; the best "
                                         f"({best.model}, {m} {best.score:.4g} vs baseline {best.baseline_score:.4g}"
                                         f"{p_text}) is registered, tagged below-baseline, not champion",
                        best, champion)
    p_text += f"; verdict {best.verdict}"
    if champion is None:
        return Decision("promote", f"no champion yet; {best.model} beats the baseline "
                                   f"({m} {best.score:.4g} < {best.baseline_score:.4g}{p_text})", best, champion)
    comparable = (champion.data_version, champion.cv, champion.features) == (data_version, cv, features)
    if not comparable:
        return Decision("promote", f"champion v{champion.version} was scored on data {champion.data_version} "
                                   f"cv={champion.cv} features={champion.features}: stale; {best.model} beats the "
                                   f"baseline on the current data", best, champion)
    if best.score < champion.score:
        return Decision("promote", f"{best.model} ({m} {best.score:.4g}) beats champion v{champion.version} "
                                   f"({m} {champion.score:.4g}) and the baseline", best, champion)
    return Decision("keep", f"best run {best.model} ({m} {best.score:.4g}) does not beat champion "
                            f"v{champion.version} ({m} {champion.score:.4g})", best, champion)


def version_tags(c: Candidate, *, data_version: str, config: dict) -> dict[str, str]:
    """Tags a registered version carries: provenance, metrics, baseline, verdict."""
    keep = ("r2_mean", "r2_std", "rmse_mean", "rmse_std", "mae_mean", "mae_std", "r2_pooled", "rmse_pooled",
            "baseline_r2_mean", "baseline_rmse_mean", "baseline_mae_mean", "baseline_paired_p", "n_rows")
    tags = {k: f"{c.metrics[k]:.6g}" for k in keep if k in c.metrics}
    tags.update({"run_id": c.run_id, "model": c.model, "data_version": data_version,
                 "cv": c.tags.get("cv", ""), "features": c.tags.get("features", ""),
                 "target_column": c.tags.get("target_column", ""), "higher_is_better": c.tags.get("higher_is_better", ""),
                 "beats_baseline": str(c.beats_baseline).lower(),
                 T.VERDICT: c.verdict,   # the one verdict: screening ranks only "beats-baseline"
                 # the one rule (nacarbon.evaluation.significance), when promote applied it
                 "beats_baseline_p": f"{c.metrics['beats_baseline_p']:.6g}" if "beats_baseline_p" in c.metrics else "",
                 "beats_baseline_test": c.tags.get("beats_baseline_test", ""),
                 "status": "ok" if c.beats_baseline else "below-baseline",
                 "config": json.dumps(config, sort_keys=True)[:4900]})
    return tags


def _registered(client: MlflowClient, name: str) -> bool:
    try:
        client.get_registered_model(name)
    except MlflowException:
        return False
    return True


def _existing_version(client: MlflowClient, name: str, run_id: str):
    try:
        found = client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
    except MlflowException:
        return None
    return found[0] if found else None


def apply(client: MlflowClient, target: str, decision: Decision, *, data_version: str, config: dict) -> Decision:
    """Carry out a decision; on any error the registry is left as it was.

    A version created here is deleted again if tagging fails, and the alias moves last, so the previous
    champion stays in place unless everything else succeeded."""
    if decision.action in ("nothing", "keep"):
        return decision
    c = decision.candidate
    name = T.model_name(target)
    created = None
    had_model = _registered(client, name)
    try:
        mv = _existing_version(client, name, c.run_id)
        if mv is None:
            source = c.tags.get(T.MODEL_URI) or f"runs:/{c.run_id}/model"
            mv = mlflow.register_model(source, name, await_registration_for=60)
            created = mv
        for key, value in version_tags(c, data_version=data_version, config=config).items():
            client.set_model_version_tag(name, mv.version, key, value)
        client.set_model_version_tag(name, mv.version, "forced", str(decision.forced).lower())
        client.update_model_version(name, mv.version, description=version_description(
            c, data_version=data_version, action=decision.action, reason=decision.reason, forced=decision.forced))
        client.update_registered_model(name, description=model_description(target, c))
        if decision.action == "promote":
            client.set_registered_model_alias(name, T.CHAMPION_ALIAS, mv.version)
        decision.version = str(mv.version)
    except Exception as err:
        try:
            if not had_model and _registered(client, name):
                client.delete_registered_model(name)      # it did not exist before: remove it whole
            elif created is not None:
                client.delete_model_version(name, created.version)
        except MlflowException:
            decision.notes.append(f"could not roll back {name} version {getattr(created, 'version', '?')}")
        raise RegistryError(f"promotion of {target} failed and was rolled back; the champion is unchanged: {err}") from err
    return decision


def log_decision(target: str, decision: Decision, *, uri: str, artifact_root: str | Path) -> None:
    """Record a promotion (forced ones included) as a run of its own in ``nacarbon-registry``."""
    tags = {T.TARGET: target, "action": decision.action, "forced": str(decision.forced).lower()}
    description = f"{decision.action} for {T.model_name(target)}: {decision.reason}"
    with open_run(T.REGISTRY_EXPERIMENT, T.PROMOTE, description[:4900], uri=uri, artifact_root=artifact_root,
                  run_name=f"promote-{target}-{int(time.time())}", tags=tags):
        mlflow.log_params({"candidate_run": decision.candidate.run_id if decision.candidate else "",
                           "candidate_model": decision.candidate.model if decision.candidate else "",
                           "version": decision.version or "",
                           "previous_champion": decision.champion.version if decision.champion else ""})
        mlflow.set_tag("reason", decision.reason[:4900])
