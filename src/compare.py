"""Entry point: ``python -m compare`` (every model family against the mean baseline)."""

from __future__ import annotations

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.cli import hydra_entry
from nacarbon.commands.compare import format_summary, run


@hydra_entry("compare")
def main(cfg: DictConfig) -> None:
    """Build, write and log the comparison; print where it went."""
    print(format_summary(run(cfg)))


if __name__ == "__main__":
    main()
