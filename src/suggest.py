"""Entry point: ``python -m suggest n=8 output=batch.csv [objectives=[ice]] [acquisition=ei]``."""

from __future__ import annotations

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.cli import hydra_entry
from nacarbon.commands.suggest import run


@hydra_entry("suggest")
def main(cfg: DictConfig) -> None:
    """Propose the next batch of experiments and write the fill-in template and its summary."""
    outcome = run(cfg)
    print(outcome.summary.read_text())
    print(f"template {outcome.template}; summary {outcome.summary}; MLflow run {outcome.run_id} "
          f"(experiment nacarbon-suggest)")


if __name__ == "__main__":
    main()
