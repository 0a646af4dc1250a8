"""Entry point: ``python -m compare`` (every model family against the mean baseline)."""

from __future__ import annotations

import os

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (registers the ${nacarbon.root:} resolver first)
from nacarbon.cli import hydra_entry, run_or_exit
from nacarbon.commands.compare import format_summary, run

__all__ = ["main", "run"]

# One progress bar per downloaded fold table would drown the summary.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


@hydra_entry("compare")
def main(cfg: DictConfig) -> None:
    """Build, write and log the comparison; print where it went."""
    result = run_or_exit(run, cfg, logger="compare")
    print(format_summary(result))


if __name__ == "__main__":
    main()
