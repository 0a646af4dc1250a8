"""Entry point: ``python -m predict input=FILE output=OUT.csv [targets=[ice]] [lab_calibration=false]``."""

from __future__ import annotations

from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.cli import hydra_entry
from nacarbon.commands.predict import run


@hydra_entry("predict")
def main(cfg: DictConfig) -> None:
    """Predict for your samples with every champion: intervals, domain, nearest samples, lab check."""
    outcome = run(cfg)
    print(outcome.summary.read_text())
    print(f"written {outcome.output} and {outcome.summary}; MLflow run {outcome.run_id} (experiment nacarbon-predict)")


if __name__ == "__main__":
    main()
