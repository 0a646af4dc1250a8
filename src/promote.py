"""Entry point: ``python -m promote target=capacity [--dry-run] [--force]``."""

from __future__ import annotations

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.cli import hydra_entry
from nacarbon.commands.promote import FLAGS, format_decision, run


@hydra_entry("promote", flags=FLAGS)
def main(cfg: DictConfig) -> None:
    """Promote (or explain why not) the best model of one target."""
    print(format_decision(cfg, run(cfg)))


if __name__ == "__main__":
    main()
