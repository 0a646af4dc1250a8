"""What the analysis explains: a fitted model with the rows it was fitted on, and how it was chosen.

:mod:`nacarbon.registry.sources` finds and loads them from the store (a target's ``champion`` or
one training run id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: ``analyze --help`` must not pay for pandas
    import numpy as np
    import pandas as pd

# What the explanations of a loaded model describe (stated in every output that shows them).
EXPLAINED_ON = "full-data fit, explained on its own training rows (in-sample)"


@dataclass(frozen=True)
class SourceRef:
    """Which run to explain for a target, and how it was chosen."""

    target: str
    run_id: str
    version: str | None = None   # registry version when taken from the champion alias


@dataclass
class ModelSource:
    """A fitted model with the training rows it saw."""

    ref: SourceRef
    model_family: str
    dataset: str
    data_version: str
    target_column: str
    features: list[str]
    estimator: object
    X: pd.DataFrame
    y: np.ndarray
    meta: pd.DataFrame
    tags: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``<model> (run <8 chars>[, champion v<n>])`` for captions and tables."""
        where = f", champion v{self.ref.version}" if self.ref.version else ""
        return f"{self.model_family} (run {self.ref.run_id[:8]}{where})"
