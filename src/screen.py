"""Entry point: ``python -m screen [screen=grid|large] [screen.backend=dask]``."""

from __future__ import annotations

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.cli import hydra_entry
from nacarbon.commands.screen import run


@hydra_entry("screening")
def main(cfg: DictConfig) -> None:
    """Screen candidates with the registry's champions and write the ranked tables."""
    outcome = run(cfg)
    table = "pareto.md" if cfg.screen.get("mode") == "optimize" else "top_table.md"
    print((outcome.out_dir / table).read_text())
    print(f"written to {outcome.out_dir}; MLflow run {outcome.run_id} (experiment nacarbon-screening)")


if __name__ == "__main__":
    main()
