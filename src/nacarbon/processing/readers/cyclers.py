"""Binary and text files of battery cyclers: BioLogic (galvani), Neware (NewareNDA), Arbin and LAND exports.

Each reader returns a :class:`~.cycling.CyclingData`: records normalized, the active mass if the file states
it, and the library that read it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from nacarbon.errors import ProcessingError
from nacarbon.processing.readers.cycling import CyclingData, normalize
from nacarbon.processing.readers.exports import read_export

_MASS_COMMENT = re.compile(rb"Mass of active material\s*:\s*([0-9.,]+)\s*(mg|g)", re.IGNORECASE)


def _biologic_frame(path: Path, data) -> object:
    names = data.dtype.names or ()
    need = {"time/s", "Ewe/V", "I/mA"}
    missing = sorted(need - set(names))
    if missing:
        raise ProcessingError(f"{path}: BioLogic file has no {missing} column(s): not a galvanostatic (GCPL) test")
    return normalize(
        path, time_s=data["time/s"], current_ma=data["I/mA"], voltage_v=data["Ewe/V"],
        step_id=data["Ns"] if "Ns" in names else None,
    )


def read_mpr(path: Path) -> CyclingData:
    """BioLogic EC-Lab binary ``.mpr``, through galvani (the active mass is not in its data module)."""
    from galvani import BioLogic

    try:
        mpr = BioLogic.MPRfile(str(path))
    except (ValueError, NotImplementedError, OSError, EOFError, IndexError) as exc:
        raise ProcessingError(f"{path}: galvani cannot read it as a BioLogic .mpr ({exc})") from None
    return CyclingData(_biologic_frame(path, mpr.data), None, "biologic-mpr", "galvani", str(path))


def read_mpt(path: Path) -> CyclingData:
    """BioLogic EC-Lab text ``.mpt``, through galvani; the mass comes from the header if stated."""
    from galvani import BioLogic

    try:
        data, comments = BioLogic.MPTfile(str(path), encoding="latin-1")
    except (ValueError, StopIteration, AttributeError, OSError) as exc:
        why = "truncated" if isinstance(exc, StopIteration) else str(exc)
        raise ProcessingError(f"{path}: galvani cannot read it as a BioLogic .mpt ({why})") from None
    mass = None
    for line in comments:
        m = _MASS_COMMENT.search(line)
        if m:
            value = float(m.group(1).replace(b",", b"."))
            mass = value * (1000.0 if m.group(2).lower() == b"g" else 1.0)
    if data.size == 0:
        raise ProcessingError(f"{path}: no data rows (truncated file?)")
    return CyclingData(_biologic_frame(path, data), mass if mass else None, "biologic-mpt", "galvani", str(path))


def _find_mass(meta: object) -> float | None:
    """A positive ``active_mass_mg`` anywhere in NewareNDA's metadata."""
    if isinstance(meta, dict):
        for key, value in meta.items():
            if key == "active_mass_mg":
                try:
                    return float(value) if float(value) > 0 else None
                except (TypeError, ValueError):
                    return None
            found = _find_mass(value)
            if found:
                return found
    return None


_NEWARE_KIND = {"CC_Chg": "charge", "CCCV_Chg": "charge", "CV_Chg": "charge", "CP_Chg": "charge",
                "CC_DChg": "discharge", "CCCV_DChg": "discharge", "CV_DChg": "discharge",
                "CP_DChg": "discharge", "Rest": "rest", "Pause": "rest"}


def read_neware(path: Path) -> CyclingData:
    """Neware ``.nda``/``.ndax``, through NewareNDA (the mass from its metadata if the file has one)."""
    import NewareNDA

    logging.getLogger("NewareNDA").setLevel(logging.WARNING)
    try:
        df = NewareNDA.read(str(path), log_level="WARNING")
        meta = NewareNDA.read_metadata(str(path))
    except Exception as exc:  # NewareNDA raises bare exceptions of many kinds on foreign files
        raise ProcessingError(f"{path}: NewareNDA cannot read it ({type(exc).__name__}: {exc})") from None
    status = df["Status"].astype(str)
    unknown = sorted(set(status) - set(_NEWARE_KIND))
    if unknown:
        raise ProcessingError(f"{path}: Neware step type(s) {unknown} are not part of a galvanostatic test")
    kind = status.map(_NEWARE_KIND).to_numpy()
    # NewareNDA gives unsigned step capacities in two columns; one of them runs in each step
    cap = np.where(kind == "charge", df["Charge_Capacity(mAh)"], df["Discharge_Capacity(mAh)"])
    frame = normalize(path, time_s=_neware_time(df), current_ma=df["Current(mA)"], voltage_v=df["Voltage"],
                      capacity_mah=cap, step_id=df["Step"], step_type=kind)
    return CyclingData(frame, _find_mass(meta), "neware-" + path.suffix.lower().lstrip("."), "NewareNDA", str(path))


def _neware_time(df) -> np.ndarray:
    """Test time in s: NewareNDA's ``Time`` restarts with each step, the timestamp does not."""
    stamp = df["Timestamp"]
    seconds = (stamp - stamp.iloc[0]).dt.total_seconds().to_numpy()
    step_time = df["Time"].to_numpy(dtype=float)
    # Old files stamp whole seconds; the step clock then breaks ties inside a step.
    return np.maximum.accumulate(seconds + 1e-6 * step_time)


READERS = {".mpr": read_mpr, ".mpt": read_mpt, ".nda": read_neware, ".ndax": read_neware}


def read_cycling(path: str | Path, *, mass_mg: float | None = None) -> CyclingData:
    """Read a galvanostatic test from any supported cycler file; ``mass_mg`` overrides the file's mass.

    ``.mpr``/``.mpt`` (BioLogic), ``.nda``/``.ndax`` (Neware), otherwise a ``.csv``/``.txt``/``.xlsx``
    export with columns named as in :mod:`.exports`. Raises ProcessingError naming the file if it is missing
    or cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise ProcessingError(f"{path}: file not found")
    reader = READERS.get(path.suffix.lower())
    data = reader(path) if reader is not None else read_export(path)
    return data.with_mass(mass_mg)
