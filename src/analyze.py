"""Entry point: ``python -m analyze [dataset=seed] [shap.source=champion|<run_id>] [report=false]``."""

from __future__ import annotations

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.commands.analyze import format_summary, run
from nacarbon.cli import hydra_entry, run_or_exit


@hydra_entry("analyze")
def main(cfg: DictConfig) -> None:
    """Correlations, maps, SHAP and the reproduction report, logged as one MLflow run."""
    result = run_or_exit(run, cfg)
    print(format_summary(cfg, result))


if __name__ == "__main__":
    main()
