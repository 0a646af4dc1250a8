"""Entry point: ``python -m train target=capacity model=xgboost``."""

from __future__ import annotations

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (registers the ${nacarbon.root:} resolver first)
from nacarbon.cli import hydra_entry, run_or_exit
from nacarbon.commands.train import format_summary, run


@hydra_entry("train")
def main(cfg: DictConfig) -> float:
    """Train one configuration; return its outer-CV RMSE (for Hydra sweepers)."""
    result = run_or_exit(run, cfg, logger="train")
    print(format_summary(cfg, result))
    return result.metrics["rmse_mean"]


if __name__ == "__main__":
    main()
