"""``python -m promote``: register the best run of a target and move ``champion`` when earned."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from nacarbon.tracking import tags as T

# The two switches people type most, as flags (``python -m promote --dry-run``); Hydra itself
# only knows overrides, so the entry point (nacarbon.cli.hydra_entry) turns each into its own.
FLAGS = {"--dry-run": "dry_run=true", "--force": "force=true"}

if TYPE_CHECKING:  # MLflow loads when the command runs, not for --help
    from nacarbon.registry.promotion import Decision


def run(cfg: DictConfig) -> "Decision":
    """Decide and (unless ``dry_run``) carry out the promotion; ``version`` is set once registered or reused."""
    from nacarbon.commands.compare import target_verdicts
    from nacarbon.data.io import load_configured
    from nacarbon.registry.promotion import apply, current_champion, decide, log_decision
    from nacarbon.registry.selection import find_candidates, rank, with_significance
    from nacarbon.tracking.store import connect

    client = connect(cfg.tracking.uri, cfg.tracking.artifact_root)
    version = load_configured(cfg.dataset).version
    experiment = T.experiment_name(cfg.dataset.name)
    # The runs and the table `python -m compare` shows: same selection, same function, same verdicts.
    tested = target_verdicts(client, experiment, cfg.target.name, alpha=float(cfg.alpha), data_version=version,
                             cv=cfg.cv.name, features=cfg.features.name, seed=cfg.seed, search=cfg.runs_search,
                             exclude_models=tuple(cfg.exclude_models))
    candidates = find_candidates(client, experiment=experiment, target=cfg.target.name, data_version=version,
                                 cv=cfg.cv.name, features=cfg.features.name, metric=cfg.metric)
    candidates = [] if tested is None else [c for c in candidates if c.run_id in set(tested["family"])]
    candidates = rank(with_significance(candidates, tested) if candidates else [], significant_first=True)
    champion = current_champion(client, cfg.target.name, metric=cfg.metric)
    decision = decide(candidates, champion, data_version=version, cv=cfg.cv.name, features=cfg.features.name,
                      force=bool(cfg.force))
    if cfg.dry_run:
        return decision
    config = {"dataset": cfg.dataset.name, "cv": OmegaConf.to_container(cfg.cv), "features": list(cfg.features.columns),
              "target": cfg.target.name, "metric": cfg.metric}
    decision = apply(client, cfg.target.name, decision, data_version=version, config=config)
    log_decision(cfg.target.name, decision, uri=cfg.tracking.uri, artifact_root=cfg.tracking.artifact_root)
    return decision


def format_decision(cfg: DictConfig, decision: "Decision") -> str:
    """One short paragraph for the terminal."""
    head = "DRY RUN: would " if cfg.dry_run else ""
    what = {"promote": "promote", "keep": "keep the current champion", "register-only": "register without promoting",
            "nothing": "do nothing"}[decision.action]
    lines = [f"{head}{what} for target '{cfg.target.name}': {decision.reason}"]
    if decision.version:
        lines.append(f"model: {T.model_version_uri(cfg.target.name, decision.version)}"
                     + ("  (alias champion)" if decision.action == "promote" else ""))
    lines += [f"note: {n}" for n in decision.notes]
    return "\n".join(lines)
