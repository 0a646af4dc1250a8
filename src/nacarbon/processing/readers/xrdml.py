"""PANalytical XRDML patterns, read with lxml.

xrdtools (0.1.1, 2017; not installed) fails on NumPy 2: its ``read_xrdml`` compares arrays with ``== []``
("The truth value of an empty array is ambiguous"). The format is plain XML, so this reads what a powder
pattern needs: 2-theta, the mean intensity of the completed scans, and the wavelength.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nacarbon.errors import ProcessingError


@dataclass(frozen=True)
class Pattern:
    """A powder pattern: 2-theta (degrees), intensity, and the wavelength (nm) if the file gives it."""

    two_theta_deg: np.ndarray
    intensity: np.ndarray
    wavelength_nm: float | None
    source: str


def _numbers(path: Path, text: str | None, what: str) -> np.ndarray:
    try:
        values = np.array([float(t) for t in (text or "").split()], dtype=float)
    except ValueError:
        raise ProcessingError(f"{path}: {what} holds a value that is not a number") from None
    return values


def _wavelength_nm(root, path: Path) -> float | None:
    used = root.find(".//{*}xrdMeasurement/{*}usedWavelength")
    if used is None:
        return None
    try:
        a1 = float(used.findtext("{*}kAlpha1"))
        a2 = float(used.findtext("{*}kAlpha2") or a1)
        ratio = float(used.findtext("{*}ratioKAlpha2KAlpha1") or 0.0)
    except (TypeError, ValueError):
        raise ProcessingError(f"{path}: usedWavelength has no numeric kAlpha1") from None
    # "K-Alpha" means the unresolved doublet: its intensity-weighted mean wavelength.
    angstrom = a1 if used.get("intended") == "K-Alpha 1" else (a1 + ratio * a2) / (1.0 + ratio)
    return angstrom / 10.0


def _scan(scan, path: Path) -> tuple[np.ndarray, np.ndarray]:
    points = scan.find("{*}dataPoints")
    if points is None:
        raise ProcessingError(f"{path}: a scan has no dataPoints")
    counts = points.find("{*}intensities")
    if counts is None:
        counts = points.find("{*}counts")
    if counts is None:
        raise ProcessingError(f"{path}: a scan has neither intensities nor counts")
    y = _numbers(path, counts.text, "intensities")
    time = _numbers(path, points.findtext("{*}commonCountingTime"), "commonCountingTime")
    if counts.get("unit") == "counts" and time.size == 1 and time[0] > 0:
        y = y / time[0]  # counts per second, so scans of different counting times average
    for pos in points.findall("{*}positions"):
        if pos.get("axis") != "2Theta":
            continue
        listed = pos.findtext("{*}listPositions")
        if listed is not None:
            x = _numbers(path, listed, "listPositions")
        else:
            start, end = pos.findtext("{*}startPosition"), pos.findtext("{*}endPosition")
            if start is None or end is None:
                raise ProcessingError(f"{path}: 2Theta positions have neither a list nor start/end")
            x = np.linspace(float(start), float(end), y.size)
        if x.size != y.size:
            raise ProcessingError(f"{path}: {x.size} 2Theta positions for {y.size} intensities (truncated?)")
        return x, y
    raise ProcessingError(f"{path}: a scan has no 2Theta axis (not a 2theta/omega powder scan)")


def read_xrdml(path: str | Path) -> Pattern:
    """Read a PANalytical ``.xrdml`` powder pattern: 2-theta (deg, increasing), intensity, wavelength (nm).

    The intensity is the mean of the completed scans, in counts per second when the file gives counts.
    Raises ProcessingError naming the file: not XML or not XRDML, no completed scan, scans on different
    2-theta grids, or positions and intensities of different lengths.
    """
    from lxml import etree  # imported here: only XRDML needs it

    path = Path(path)
    try:
        root = etree.parse(str(path)).getroot()
    except OSError:
        raise ProcessingError(f"{path}: file not found or unreadable") from None
    except etree.XMLSyntaxError as exc:
        raise ProcessingError(f"{path}: not a valid XRDML file (XML error: {exc})") from None
    if etree.QName(root).localname != "xrdMeasurements":
        raise ProcessingError(f"{path}: root element is <{etree.QName(root).localname}>, not an XRDML <xrdMeasurements>")
    scans = [s for s in root.iter("{*}scan") if s.get("status", "Completed") == "Completed"]
    if not scans:
        raise ProcessingError(f"{path}: no completed scan")
    pairs = [_scan(s, path) for s in scans]
    x = pairs[0][0]
    if any(p[0].shape != x.shape or not np.allclose(p[0], x) for p in pairs[1:]):
        raise ProcessingError(f"{path}: completed scans cover different 2Theta grids; export one scan")
    y = np.mean([p[1] for p in pairs], axis=0)
    if x.size < 20:
        raise ProcessingError(f"{path}: {x.size} points, at least 20 are needed")
    order = np.argsort(x)
    return Pattern(x[order], y[order], _wavelength_nm(root, path), "xrdml (lxml)")
