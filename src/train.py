"""Entry point: ``python -m train target=capacity model=xgboost``."""

from __future__ import annotations

import logging
import sys

import hydra
from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (registers the ${nacarbon.root:} resolver first)
from nacarbon.errors import NacarbonError
from nacarbon.training import format_summary, run


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> float:
    """Train one configuration; return its outer-CV RMSE (for Hydra sweepers)."""
    try:
        result = run(cfg)
    except NacarbonError as err:
        logging.getLogger("train").error("%s", err)
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print(format_summary(cfg, result))
    return result.metrics["rmse_mean"]


if __name__ == "__main__":
    main()
