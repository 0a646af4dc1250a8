"""Turn a two-column measurement file into database parameters (the paper's Fig. 5 step).

Usage::

    python -m nacarbon.process xrd pattern.xy [--angle-unit rad] [--json]
    python -m nacarbon.process raman spectrum.txt [--ratio area]
    python -m nacarbon.process rate rate_test.csv [--file-current-unit A/g]
    python -m nacarbon.process plateau discharge.csv [--v-max 1.0] [--v-min 0.01]
    python -m nacarbon.process gcd test.mpr|.mpt|.nda|.ndax|.csv|.xlsx [--mass-mg 2.1]
    python -m nacarbon.process row --xrd F --raman F --gcd F --ssa 23.4 --htt 1300 \
        --source "..." --sample-id S1 --out row.csv      # a row that `db add` accepts

Prints a small table (or JSON with ``--json``) and exits 0; a file that cannot be
processed gives one message naming the file on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nacarbon.cli import exits_on_error
from nacarbon.errors import ProcessingError
from nacarbon.processing import analyze_raman, analyze_xrd, average_voltage, rate_factor, read_two_column
from nacarbon.processing.readers import read_raman, read_xrd

Row = tuple[str, Any, str]


def _analyze(path: Path, func: Callable[..., Any], *args: Any, **kwargs: Any) -> list[Row]:
    """Run one analysis, naming the file in any error it raises."""
    try:
        return func(*args, **kwargs).rows()
    except ProcessingError as exc:
        raise ProcessingError(f"{path}: {exc}") from exc


def _ranged(args: argparse.Namespace, key: str) -> dict[str, tuple[float, float]]:
    return {} if args.fit_range is None else {key: tuple(args.fit_range)}


def _xrd_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"background_order": args.background_order, "lp_correction": args.lp,
            "instrument_fwhm_deg": args.instrument_fwhm_deg, **_ranged(args, "fit_range_deg")}


def _xrd(args: argparse.Namespace) -> list[Row]:
    pattern = read_xrd(args.file)
    wavelength = args.wavelength_nm or pattern.wavelength_nm or 0.15406
    return _analyze(args.file, analyze_xrd, pattern.two_theta_deg, pattern.intensity, angle_unit=args.angle_unit,
                    wavelength_nm=wavelength, **_xrd_kwargs(args))


def _raman(args: argparse.Namespace) -> list[Row]:
    x, y = read_raman(args.file)
    return _analyze(args.file, analyze_raman, x, y, args.ratio, model=args.model, laser_nm=args.laser_nm,
                    **_ranged(args, "fit_range_cm1"))


def _gcd(args: argparse.Namespace) -> list[Row]:
    from nacarbon.processing.electrochem import analyze_cycling
    from nacarbon.processing.readers import read_cycling

    result = analyze_cycling(read_cycling(args.file, mass_mg=args.mass_mg), **_gcd_kwargs(args))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return result.rows()


def _gcd_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"reference_ma_g": args.reference_ma_g, "plateau_cycle": args.plateau_cycle,
            "plateau_v_range": tuple(args.plateau_range) if args.plateau_range else (None, None),
            "plateau_cutoff_v": args.plateau_cutoff_v, "rate": not args.no_rate}


def _row(args: argparse.Namespace) -> list[Row]:
    from nacarbon.processing.row import build_row, write_row

    row, rows = build_row(args, xrd_kwargs=_xrd_kwargs(args), gcd_kwargs=_gcd_kwargs(args))
    write_row(row, args.out)
    return rows


def _rate(args: argparse.Namespace) -> list[Row]:
    current, capacity = read_two_column(args.file, min_points=3, x_order="any")
    scale = 1000.0 if args.file_current_unit == "A/g" else 1.0
    return _analyze(args.file, rate_factor, current * scale, capacity, per=args.per)


def _plateau(args: argparse.Namespace) -> list[Row]:
    capacity, voltage = read_two_column(args.file, min_points=2, x_order="nondecreasing")
    return _analyze(args.file, average_voltage, capacity, voltage, v_max=args.v_max, v_min=args.v_min)


def _xrd_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--angle-unit", choices=["deg", "rad"], default="deg", help="unit of the 2-theta column")
    p.add_argument("--wavelength-nm", type=float, default=None,
                   help="X-ray wavelength (default: the file's, else Cu K-alpha 0.15406)")
    p.add_argument("--background-order", type=int, default=2, help="polynomial background degree")
    p.add_argument("--lp", action="store_true", help="divide out the Lorentz-polarization factor before fitting")
    p.add_argument("--instrument-fwhm-deg", type=float, default=None,
                   help="a standard's FWHM (deg), removed in quadrature from the fitted FWHMs")


def _raman_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ratio", choices=["height", "area"], default="height", help="ID/IG from heights or areas")
    p.add_argument("--model", choices=["sadezky", "bwf", "two-band"], default="sadezky",
                   help="five bands (D4 D1 D3 G D2), D + BWF-G, or the two-band fit")
    p.add_argument("--laser-nm", type=float, default=None, help="excitation wavelength, recorded with ID/IG")


def _gcd_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mass-mg", type=float, default=None, help="active mass, mg (overrides the file's)")
    p.add_argument("--reference-ma-g", type=float, default=100.0, help="current of the reported capacity, mA/g")
    p.add_argument("--plateau-cycle", type=int, default=None, help="cycle of the plateau (default: capacity's)")
    p.add_argument("--plateau-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="voltage window of the average discharge voltage, V (default: whole discharge)")
    p.add_argument("--plateau-cutoff-v", type=float, default=0.1, help="plateau capacity: capacity below this, V")
    p.add_argument("--no-rate", action="store_true", help="no rate ladder in this test: leave the rate factor empty")


def _build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("file", type=Path, help="measurement file ('#' starts a comment in text files)")
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")

    parser = argparse.ArgumentParser(prog="python -m nacarbon.process", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="method", required=True)

    xrd = sub.add_parser("xrd", parents=[common], help="d002, Lc, La from a pattern (.xy/.csv/.txt/.xrdml)")
    _xrd_options(xrd)
    xrd.add_argument("--fit-range", type=float, nargs=2, metavar=("LOW", "HIGH"), help="2-theta range, deg (10 70)")
    xrd.set_defaults(handler=_xrd)

    raman = sub.add_parser("raman", parents=[common], help="ID/IG from a spectrum: shift (cm^-1), intensity")
    _raman_options(raman)
    raman.add_argument("--fit-range", type=float, nargs=2, metavar=("LOW", "HIGH"), help="shift range (800 2000)")
    raman.set_defaults(handler=_raman)

    gcd = sub.add_parser("gcd", parents=[common], help="ICE, capacity, plateau, rate factor from a cycler file")
    _gcd_options(gcd)
    gcd.set_defaults(handler=_gcd)

    rate = sub.add_parser("rate", parents=[common], help="rate factor from a rate test: current, capacity (mAh/g)")
    rate.add_argument("--file-current-unit", choices=["mA/g", "A/g"], default="mA/g", help="unit of column 1")
    rate.add_argument("--per", choices=["100mA/g", "A/g", "mA/g"], default="100mA/g",
                      help="current unit of the rate factor (100mA/g: Table 1's scale)")
    rate.set_defaults(handler=_rate)

    plateau = sub.add_parser("plateau", parents=[common], help="average discharge voltage: capacity, voltage")
    plateau.add_argument("--v-max", type=float, help="start where the voltage first falls to this value, V")
    plateau.add_argument("--v-min", type=float, help="end where the voltage last stays above this value, V")
    plateau.set_defaults(handler=_plateau)

    row = sub.add_parser("row", help="one database row from raw files, for `python -m nacarbon.db add`")
    row.add_argument("--json", action="store_true", help="print JSON instead of a table")
    row.add_argument("--xrd", type=Path, required=True, help="XRD pattern")
    row.add_argument("--raman", type=Path, required=True, help="Raman spectrum")
    row.add_argument("--gcd", type=Path, required=True, help="galvanostatic test file")
    row.add_argument("--ssa", type=float, required=True, help="BET specific surface area, m2/g")
    row.add_argument("--htt", type=float, default=None, help="heat-treatment temperature, degC")
    row.add_argument("--source", required=True, help="citation of the work the sample comes from")
    row.add_argument("--sample-id", required=True, help="an id no shipped table uses")
    row.add_argument("--material-class", choices=["hard", "soft"], default="hard")
    row.add_argument("--precursor", default=None)
    row.add_argument("--electrolyte", choices=["ester", "ether"], default=None)
    row.add_argument("--out", type=Path, required=True, help="CSV to write (refused if it exists)")
    _xrd_options(row)
    _raman_options(row)
    _gcd_options(row)
    row.set_defaults(handler=_row, fit_range=None, file=None, method="row")
    return parser


def format_table(rows: list[Row]) -> str:
    """``(name, value, unit)`` rows as an aligned three-column table with a header, no trailing newline."""
    cells = [("parameter", "value", "unit")]
    cells += [(n, f"{v:.5g}" if isinstance(v, float) else str(v), u) for n, v, u in rows]
    w_name = max(len(c[0]) for c in cells)
    w_value = max(len(c[1]) for c in cells)
    return "\n".join(f"{n:<{w_name}}  {v:>{w_value}}  {u}".rstrip() for n, v, u in cells)


@exits_on_error
def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (``sys.argv[1:]`` when None); 0, or 2 if a file cannot be processed."""
    args = _build_parser().parse_args(argv)
    rows = args.handler(args)
    if args.json:
        payload = {
            "file": str(args.file) if args.file else str(args.out),
            "method": args.method,
            "values": {n: v for n, v, _ in rows},
            "units": {n: u for n, _, u in rows},
        }
        print(json.dumps(payload, indent=2))
    else:
        print(f"{args.method}: {args.file or args.out}")
        print(format_table(rows))
    return 0

