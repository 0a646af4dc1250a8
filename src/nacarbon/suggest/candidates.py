"""The lab's own candidates: samples made and characterized but not yet cycled, read and checked.

``python -m suggest candidates=FILE`` ranks these instead of the artificial grid. They exist, so
the screen's physical rules (written for artificial structures) do not apply; the user's own
``constraints`` do.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.design import DERIVED_FROM
from nacarbon.data.io import read_raw
from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import apply_constraints
from nacarbon.uncertainty.predictor import check_input

def read_candidates(path: str | Path, features: Sequence[str], *, series_column: str | None = None,
                    constraints: Sequence[dict] = ()) -> pd.DataFrame:
    """Validated candidate rows of the CSV ``path`` (database column names), ``constraints`` applied.

    Rows must carry ``features`` (a derived one, ``is_ether``/``is_soft``, its source column) and
    ``series_column`` if given; ``sample_id`` is ``<file stem>-<n>`` where the file has none.
    ConfigError: a missing file or series column, constraints that leave no row. DataValidationError:
    an empty file, a missing feature column, a bad value (file, row, field and rule named).
    """
    src = Path(path)
    if not src.is_file():
        raise ConfigError(f"candidates={src}: no such file (a CSV of your characterized samples, data/ column names)")
    raw = read_raw(src, label=str(src))
    needed = list(dict.fromkeys(DERIVED_FROM.get(f, f) for f in features))
    typed = check_input(raw, needed, source=str(src)).reset_index(drop=True)
    if series_column and series_column not in raw.columns:
        raise ConfigError(f"{src}: no column '{series_column}' naming each sample's series, which the series prior "
                          f"reads; add it (samples of one precursor and route share a value) or set series.column=null")
    if C.SAMPLE_ID not in raw.columns:
        typed[C.SAMPLE_ID] = [f"{src.stem}-{i + 1}" for i in range(len(typed))]
    if constraints:
        checked = apply_constraints(typed, list(constraints))
        if not checked.mask.any():
            raise ConfigError(f"constraints leave no sample of {src} ({len(typed)} rows); rows removed per rule: "
                              f"{dict(checked.failures)}")
        typed = typed[checked.mask].reset_index(drop=True)
    return typed
