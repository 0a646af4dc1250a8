"""Entry point: ``python -m analyze [dataset=seed] [shap.source=champion|<run_id>] [report=false]``."""

from __future__ import annotations

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.cli import hydra_entry
from nacarbon.commands.analyze import format_summary, run


@hydra_entry("analyze")
def main(cfg: DictConfig) -> None:
    """Correlations, maps, SHAP and the reproduction report, logged as one MLflow run."""
    print(format_summary(cfg, run(cfg)))


if __name__ == "__main__":
    main()
