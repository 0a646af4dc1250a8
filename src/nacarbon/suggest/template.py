"""The fill-in template: a batch of picks as rows ``python -m nacarbon.db add`` accepts once measured.

Columns are the target table's header (``data/contributed.csv`` by default), read at run time so a
new database column appears without a code change. What the lab decides (HTT, electrolyte, current,
structure aimed at) comes from the pick; what it measures, and ``source``, stay empty; ``note``
carries why the row was suggested.
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
    """The template rows: ``header``'s columns in order, decided ones filled, measured ones empty.

    Sample ids are ``<batch_id>-<rank>``. With ``keep_identity`` the picks are samples that exist
    (``suggest candidates=FILE``): their ``sample_id``, ``source`` and ``material_class`` are kept.
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
    """Write the template of ``picks`` atomically to ``path``; ``table``'s header gives the columns."""
    path = Path(path)
    frame = template_frame(picks, table_header(table), batch_id=batch_id, material_class=material_class,
                           keep_identity=keep_identity)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv_atomic(frame, path)
