"""Readers for the files labs have: XRD patterns, Raman spectra and galvanostatic tests.

=================  ==============================  ==========================================
kind               files                           read through
=================  ==============================  ==========================================
XRD                .xy .txt .csv .dat              :func:`nacarbon.processing.io.read_two_column`
XRD                .xrdml (PANalytical)            lxml (:mod:`.xrdml`; xrdtools 0.1.1 fails on NumPy 2, not installed)
XRD                .raw .brml (Bruker)             refused: no maintained reader is pinned
Raman              .txt .csv (two columns)         :func:`nacarbon.processing.io.read_two_column`
cycling            .mpr .mpt (BioLogic)            galvani
cycling            .nda .ndax (Neware)             NewareNDA
cycling            .csv .txt .xlsx (Arbin, LAND)   pandas with a column-name map (:mod:`.exports`)
=================  ==============================  ==========================================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nacarbon.errors import ProcessingError
from nacarbon.processing.io import read_two_column
from nacarbon.processing.readers.cyclers import read_cycling
from nacarbon.processing.readers.cycling import CyclingData
from nacarbon.processing.readers.xrdml import Pattern, read_xrdml

_BRUKER = {".raw", ".brml"}


def read_xrd(path: str | Path) -> Pattern:
    """Read an XRD pattern: ``.xrdml`` through lxml, two-column text otherwise.

    2-theta as the file has it (degrees for XRDML); the wavelength when the file states it (XRDML), else
    None. Raises ProcessingError naming the file, for a bad file or a Bruker binary (export ``.xy`` from
    DIFFRAC.EVA).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _BRUKER:
        raise ProcessingError(
            f"{path}: Bruker {suffix} is not read (no maintained Python reader is pinned); "
            "export the pattern as .xy or .csv from DIFFRAC.EVA"
        )
    if suffix == ".xrdml":
        return read_xrdml(path)
    x, y = read_two_column(path, min_points=20, x_order="monotonic")
    return Pattern(x, y, None, "two-column text")


def read_raman(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a Raman spectrum (shift in cm^-1, increasing; intensity) from a two-column text export."""
    path = Path(path)
    if path.suffix.lower() in {".spc", ".wdf", ".spa", ".0"}:
        raise ProcessingError(f"{path}: binary Raman formats are not read; export the spectrum as text (x, y)")
    return read_two_column(path, min_points=20, x_order="monotonic")


__all__ = ["CyclingData", "Pattern", "read_cycling", "read_raman", "read_xrd", "read_xrdml"]
