"""One database row from raw files: XRD, Raman and a cycling test, plus what was measured by hand.

The row holds only columns of ``data/contributed.csv``; how each number was obtained (fit model,
corrections, laser, cycles, voltage ranges, rate-factor unit) goes into its ``note``, so the row reads
without this code. It is checked with the database schema and written whole or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.io import write_csv_atomic
from nacarbon.data.schema import validate
from nacarbon.errors import ProcessingError
from nacarbon.processing.electrochem import analyze_cycling
from nacarbon.processing.raman import analyze_raman
from nacarbon.processing.rate import TABLE1_PER
from nacarbon.processing.readers import read_cycling, read_raman, read_xrd
from nacarbon.processing.xrd import CU_KALPHA_NM, analyze_xrd

Row = tuple[str, Any, str]


def _named(path: Path, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except ProcessingError as exc:
        text = str(exc)
        raise ProcessingError(text if text.startswith(str(path)) else f"{path}: {text}") from None


def build_row(args: Any, *, xrd_kwargs: dict, gcd_kwargs: dict) -> tuple[dict, list[Row]]:
    """Process the ``xrd``, ``raman`` and ``gcd`` files of ``args`` and assemble the database row.

    ``args`` also holds the by-hand columns and the options of ``nacarbon.process``; ``xrd_kwargs`` and
    ``gcd_kwargs`` go to :func:`analyze_xrd` and :func:`analyze_cycling`. Returns the row (columns of
    ``contributed.csv`` only) and every number computed as (name, value, unit) for display. Raises
    ProcessingError naming the file that failed, or for a rate factor off Table 1's scale.
    """
    pattern = read_xrd(args.xrd)
    wavelength = args.wavelength_nm or pattern.wavelength_nm or CU_KALPHA_NM
    xrd = _named(args.xrd, analyze_xrd, pattern.two_theta_deg, pattern.intensity, angle_unit=args.angle_unit,
                 wavelength_nm=wavelength, **xrd_kwargs)
    shift, counts = read_raman(args.raman)
    raman = _named(args.raman, analyze_raman, shift, counts, args.ratio, model=args.model, laser_nm=args.laser_nm)
    echem = analyze_cycling(read_cycling(args.gcd, mass_mg=args.mass_mg), per=TABLE1_PER, **gcd_kwargs)
    if echem.warnings:
        raise ProcessingError(f"{echem.warnings[0]}; not written (use --no-rate to leave the rate factor empty)")
    e = dict((n, v) for n, v, _ in echem.rows())
    note = (
        f"processed by nacarbon.process: XRD {args.xrd.name} (lambda {wavelength:.5f} nm; {xrd.corrections}); "
        f"Raman {args.raman.name} ({raman.model} fit, ID/IG = D1/G {raman.ratio} ratio, "
        f"laser {args.laser_nm or 'not stated'} nm; area ratio {raman.id_ig_area:.3f}); "
        f"cycling {args.gcd.name} (mass {e['active_mass_mg']} mg; capacity cycle {e['capacity_cycle']}; "
        f"plateau cycle {e['plateau_cycle']}, range {e['plateau_range_v']} V; plateau capacity below "
        f"{e['plateau_cutoff_v']} V"
        + (f"; rate factor per {TABLE1_PER}, ladder {e['rate_ladder_ma_g']} mA/g)" if C.RATE_FACTOR in e else ")")
    )
    row = {
        C.SAMPLE_ID: args.sample_id, C.SOURCE: args.source, C.MATERIAL_CLASS: args.material_class,
        C.PRECURSOR: args.precursor, C.HTT_C: args.htt, C.ELECTROLYTE: args.electrolyte,
        C.D002_NM: xrd.d002_nm, C.LA_NM: xrd.la_nm, C.LC_NM: xrd.lc_nm, C.ID_IG: raman.id_ig,
        C.SSA_M2_G: args.ssa, C.RATE_FACTOR: e.get(C.RATE_FACTOR), C.ICE_PCT: e[C.ICE_PCT],
        C.CAPACITY_MAH_G: e[C.CAPACITY_MAH_G], C.CURRENT_MA_G: e[C.CURRENT_MA_G], C.PLATEAU_V: e[C.PLATEAU_V],
        C.PLATEAU_CAPACITY_MAH_G: e[C.PLATEAU_CAPACITY_MAH_G], "note": note,
    }
    shown = [(n, v, u) for n, v, u in xrd.rows()[:3] + raman.rows()[:3] + echem.rows()]
    return row, shown


def write_row(row: dict, out: str | Path) -> Path:
    """Check ``row`` against the database schema and write it as a one-row CSV.

    Raises ProcessingError if ``out`` exists (nothing is overwritten), DataValidationError if the row breaks
    the schema (nothing is written).
    """
    out = Path(out)
    if out.exists():
        raise ProcessingError(f"{out}: already exists; choose another --out")
    frame = pd.DataFrame([row])
    validate(frame, out)
    return write_csv_atomic(frame, out, float_format="%.6g")
