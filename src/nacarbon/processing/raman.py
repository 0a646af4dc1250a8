"""Raman of carbons: fit the first-order bands and report ID/IG (D1/G) by height and by area.

Models (Lorentzian unless stated; lmfit on a pybaselines baseline, :mod:`.bands`):

- ``"sadezky"`` (default): D4 (~1200), D1 (~1350), D3 (~1500, Gaussian), G (~1585), D2 (~1620 cm^-1),
  Sadezky et al., Carbon 43 (2005) 1731, for disordered carbon;
- ``"bwf"``: D1 Lorentzian and a Breit-Wigner-Fano G band (Ferrari & Robertson 2000);
- ``"two-band"``: D and G only, the earlier fit (it merges D2 into G).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from nacarbon.data import columns as col
from nacarbon.processing.bands import Band, BandSpec, fit_bands

RamanModel = Literal["sadezky", "bwf", "two-band"]
MODELS: dict[str, list[BandSpec]] = {
    "sadezky": [
        BandSpec("D4", "lorentzian", 1150.0, 1250.0, 200.0, 400.0),
        BandSpec("D1", "lorentzian", 1320.0, 1380.0, 150.0, 400.0),
        BandSpec("D3", "gaussian", 1460.0, 1540.0, 150.0, 300.0),
        BandSpec("G", "lorentzian", 1560.0, 1605.0, 60.0, 160.0),
        BandSpec("D2", "lorentzian", 1606.0, 1635.0, 40.0, 80.0),
    ],
    "bwf": [BandSpec("D1", "lorentzian", 1300.0, 1400.0, 150.0, 400.0),
            BandSpec("G", "bwf", 1540.0, 1620.0, 80.0, 250.0)],
    "two-band": [BandSpec("D1", "lorentzian", 1250.0, 1450.0, 150.0, 500.0),
                 BandSpec("G", "lorentzian", 1500.0, 1650.0, 80.0, 500.0)],
}


@dataclass(frozen=True)
class RamanResult:
    """Fitted bands, ID/IG by the chosen ratio, the model and the laser wavelength."""

    bands: dict[str, Band]
    id_ig: float
    ratio: str
    model: str
    laser_nm: float | None
    r2: float

    @property
    def d_band(self) -> Band:
        """The D1 band."""
        return self.bands["D1"]

    @property
    def g_band(self) -> Band:
        """The G band."""
        return self.bands["G"]

    @property
    def id_ig_height(self) -> float:
        """D1/G ratio of fitted band heights (the paper's intensity ratio)."""
        return self.d_band.height / self.g_band.height

    @property
    def id_ig_area(self) -> float:
        """D1/G ratio of integrated band areas."""
        return self.d_band.area / self.g_band.area

    def rows(self) -> list[tuple[str, float | str | None, str]]:
        """Return ``(name, value, unit)`` rows; the database field uses its column name."""
        rows: list[tuple[str, float | str | None, str]] = [
            (col.ID_IG, self.id_ig, f"D1/G {self.ratio} ratio"),
            ("id_ig_height", self.id_ig_height, ""),
            ("id_ig_area", self.id_ig_area, ""),
            ("model", self.model, ""),
            ("laser_nm", self.laser_nm, "nm"),
        ]
        for name, band in self.bands.items():
            tag = name.lower()
            rows += [(f"{tag}_center_cm1", band.center, "cm^-1"), (f"{tag}_fwhm_cm1", band.fwhm, "cm^-1"),
                     (f"{tag}_height", band.height, "counts"), (f"{tag}_area", band.area, "counts cm^-1")]
        return rows + [("fit_r2", self.r2, "")]


def analyze_raman(
    shift_cm1: ArrayLike,
    intensity: ArrayLike,
    ratio: Literal["height", "area"] = "height",
    *,
    model: RamanModel = "sadezky",
    laser_nm: float | None = None,
    fit_range_cm1: tuple[float, float] = (800.0, 2000.0),
) -> RamanResult:
    """Fit the first-order bands of a carbon Raman spectrum (shift in cm^-1, any order) and compute ID/IG.

    ``ratio`` picks what ``id_ig`` holds (both are reported); ``laser_nm`` is recorded with the result
    because ID/IG depends on it. Raises ProcessingError if the fit fails or a band has no height.
    """
    if ratio not in ("height", "area"):
        raise ValueError(f"ratio must be 'height' or 'area', got {ratio!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {model!r}")
    x = np.asarray(shift_cm1, dtype=float)
    y = np.asarray(intensity, dtype=float)
    order = np.argsort(x)
    fit = fit_bands(x[order], y[order], MODELS[model], model_name=model, fit_range=fit_range_cm1)
    d, g = fit.bands["D1"], fit.bands["G"]
    value = d.height / g.height if ratio == "height" else d.area / g.area
    return RamanResult(fit.bands, value, ratio, model, laser_nm, fit.r2)
