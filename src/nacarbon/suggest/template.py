"""The fill-in template: a batch of picks as rows ``python -m nacarbon.db add`` accepts once measured.

Columns are exactly the target table's header (``data/contributed.csv`` by default), read at
run time so a column added to the database appears in the template without a code change.
What the lab decides (heat-treatment temperature, electrolyte, test current, the structure
aimed at) is filled from the pick; what the lab measures (capacity, ICE, plateau, rate ...) is
left empty, and so is ``source``, which names the lab's own paper or report. ``note`` carries
why the row was suggested, so the reason travels with the sample into the database.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.io import write_csv_atomic
from nacarbon.errors import ConfigError

MEASURED = (C.CAPACITY_MAH_G, C.RATE_FACTOR, C.ICE_PCT, C.PLATEAU_V, C.PLATEAU_CAPACITY_MAH_G,
            "rate_capacity_mah_g", "pore_volume_cm3_g")
NOT_FROM_PICK = {C.SOURCE, C.SAMPLE_ID, C.DATASET, "note", "qc_waiver"}


def table_header(table: str | Path) -> list[str]:
    """The header row of a database CSV."""
    path = Path(table)
    if not path.is_file():
        raise ConfigError(f"template target table {path} does not exist")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise ConfigError(f"template target table {path} has no header")
    return header


def _reason(row: pd.Series, targets: Sequence[str]) -> str:
    parts = [f"suggested ({row.get('mode', '?')}, rank {row.get('rank', '?')})"]
    for t in targets:
        if f"pred_{t}" in row:
            parts.append(f"predicted {t} {row[f'pred_{t}']:.3g} [{row[f'lo_{t}']:.3g}, {row[f'hi_{t}']:.3g}]")
    if row.get("nearest_known"):
        parts.append(f"nearest known: {str(row['nearest_known']).split(';')[0]}")
    return "; ".join(parts)


def template_frame(picks: pd.DataFrame, header: Sequence[str], *, batch_id: str,
                   material_class: str = "hard", keep_identity: bool = False) -> pd.DataFrame:
    """The template rows: the table's columns, decided ones filled, measured ones empty.

    Parameters
    ----------
    picks : pandas.DataFrame
        Output of :func:`nacarbon.suggest.select.suggest_batch`.
    header : sequence of str
        The target table's columns.
    batch_id : str
        Short id of the batch; sample ids are ``<batch_id>-<rank>``.
    material_class : str, default="hard"
    keep_identity : bool, default=False
        The picks are samples that exist (``suggest candidates=FILE``): keep their
        ``sample_id``, ``source`` and ``material_class`` instead of new ids and empty sources.

    Returns
    -------
    pandas.DataFrame
        One text-or-number row per pick, columns in ``header`` order.
    """
    missing = [c for c in (C.SAMPLE_ID, C.SOURCE, C.MATERIAL_CLASS, *C.STRUCTURE) if c not in header]
    if missing:
        raise ConfigError(f"the target table lacks columns {missing} a database row needs")
    targets = [c[len("pred_"):] for c in picks.columns if c.startswith("pred_")]
    out = pd.DataFrame(index=range(len(picks)), columns=list(header), dtype=object)
    for col in header:
        if col in picks and col not in MEASURED and col not in NOT_FROM_PICK:
            out[col] = picks[col].to_numpy()
    out[C.SAMPLE_ID] = [f"{batch_id}-{i + 1:02d}" for i in range(len(picks))]
    out[C.MATERIAL_CLASS] = material_class
    if "note" in header:
        out["note"] = [_reason(row, targets) for _, row in picks.iterrows()]
    for col in set(MEASURED) & set(header):
        out[col] = np.nan
    out[C.SOURCE] = np.nan
    if keep_identity:
        for col in (C.SAMPLE_ID, C.SOURCE, C.MATERIAL_CLASS):
            if col in picks and col in header:
                out[col] = picks[col].to_numpy()
    return out


def write_template(picks: pd.DataFrame, path: str | Path, *, table: str | Path, batch_id: str,
                   material_class: str = "hard", keep_identity: bool = False) -> Path:
    """Write the template CSV atomically (a temp file renamed over ``path``).

    Parameters
    ----------
    picks : pandas.DataFrame
        The batch.
    path : str or Path
        Where the template goes.
    table : str or Path
        The database table the rows will be added to (its header sets the columns).
    batch_id : str
    material_class : str, default="hard"
    keep_identity : bool, default=False
        Keep the picks' own ``sample_id``, ``source`` and class (see :func:`template_frame`).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    frame = template_frame(picks, table_header(table), batch_id=batch_id, material_class=material_class,
                           keep_identity=keep_identity)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv_atomic(frame, path)
