"""Standardized processing of measurements into database parameters (Liu et al. 2022, Fig. 5).

XRD gives d002 (Bragg), Lc and La (Scherrer); Raman gives ID/IG; a rate test gives the
rate factor; a discharge curve gives the average working voltage. Files are read with
:func:`read_two_column`; ``python -m nacarbon.process`` runs each method on a file.
"""

from nacarbon.processing.io import read_two_column
from nacarbon.processing.plateau import PlateauResult, average_voltage
from nacarbon.processing.raman import RamanResult, analyze_raman
from nacarbon.processing.rate import RateResult, rate_factor
from nacarbon.processing.xrd import XrdResult, analyze_xrd, d_spacing, scherrer_size

__all__ = [
    "PlateauResult",
    "RamanResult",
    "RateResult",
    "XrdResult",
    "analyze_raman",
    "analyze_xrd",
    "average_voltage",
    "d_spacing",
    "rate_factor",
    "read_two_column",
    "scherrer_size",
]
