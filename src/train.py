"""Entry point: ``python -m train target=capacity model=xgboost``."""

from __future__ import annotations

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.cli import hydra_entry
from nacarbon.commands.train import format_summary, run


@hydra_entry("train")
def main(cfg: DictConfig) -> float:
    """Train one configuration; return its outer-CV RMSE (for Hydra sweepers)."""
    result = run(cfg)
    print(format_summary(cfg, result))
    return result.metrics["rmse_mean"]


if __name__ == "__main__":
    main()
