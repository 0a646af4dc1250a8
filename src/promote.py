"""Entry point: ``python -m promote target=capacity [--dry-run] [--force]``."""

from __future__ import annotations

import sys

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.cli import hydra_entry, run_or_exit
from nacarbon.commands.promote import format_decision, run

# Friendly flags for the two switches people type most; Hydra sees them as overrides.
_FLAGS = {"--dry-run": "dry_run=true", "--force": "force=true"}
sys.argv = [_FLAGS.get(a, a) for a in sys.argv]


@hydra_entry("promote")
def main(cfg: DictConfig) -> None:
    """Promote (or explain why not) the best model of one target."""
    decision = run_or_exit(run, cfg)
    print(format_decision(cfg, decision))


if __name__ == "__main__":
    main()
