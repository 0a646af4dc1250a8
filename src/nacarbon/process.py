"""Turn a two-column measurement file into database parameters (the paper's Fig. 5 step).

Usage::

    python -m nacarbon.process xrd pattern.xy [--angle-unit rad] [--json]
    python -m nacarbon.process raman spectrum.txt [--ratio area]
    python -m nacarbon.process rate rate_test.csv [--file-current-unit A/g]
    python -m nacarbon.process plateau discharge.csv [--v-max 1.0] [--v-min 0.01]

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

from nacarbon.errors import ProcessingError
from nacarbon.processing import analyze_raman, analyze_xrd, average_voltage, rate_factor, read_two_column

Row = tuple[str, Any, str]
EXIT_PROCESSING_ERROR = 2


def _analyze(path: Path, func: Callable[..., Any], *args: Any, **kwargs: Any) -> list[Row]:
    """Run one analysis, naming the file in any error it raises."""
    try:
        return func(*args, **kwargs).rows()
    except ProcessingError as exc:
        raise ProcessingError(f"{path}: {exc}") from exc


def _ranged(args: argparse.Namespace, key: str) -> dict[str, tuple[float, float]]:
    return {} if args.fit_range is None else {key: tuple(args.fit_range)}


def _xrd(args: argparse.Namespace) -> list[Row]:
    x, y = read_two_column(args.file, min_points=20, x_order="monotonic")
    return _analyze(
        args.file, analyze_xrd, x, y, angle_unit=args.angle_unit, wavelength_nm=args.wavelength_nm,
        background_order=args.background_order, **_ranged(args, "fit_range_deg"),
    )


def _raman(args: argparse.Namespace) -> list[Row]:
    x, y = read_two_column(args.file, min_points=20, x_order="monotonic")
    return _analyze(
        args.file, analyze_raman, x, y, args.ratio, profile=args.profile, **_ranged(args, "fit_range_cm1")
    )


def _rate(args: argparse.Namespace) -> list[Row]:
    current, capacity = read_two_column(args.file, min_points=3, x_order="any")
    scale = 1000.0 if args.file_current_unit == "A/g" else 1.0
    return _analyze(args.file, rate_factor, current * scale, capacity, per=args.per)


def _plateau(args: argparse.Namespace) -> list[Row]:
    capacity, voltage = read_two_column(args.file, min_points=2, x_order="nondecreasing")
    return _analyze(args.file, average_voltage, capacity, voltage, v_max=args.v_max, v_min=args.v_min)


def _build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("file", type=Path, help="two-column text/CSV file (x, y); '#' starts a comment")
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")

    parser = argparse.ArgumentParser(prog="python -m nacarbon.process", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="method", required=True)

    xrd = sub.add_parser("xrd", parents=[common], help="d002, Lc, La from a pattern: 2-theta, intensity")
    xrd.add_argument("--angle-unit", choices=["deg", "rad"], default="deg", help="unit of the 2-theta column")
    xrd.add_argument("--wavelength-nm", type=float, default=0.15406, help="X-ray wavelength (Cu K-alpha)")
    xrd.add_argument("--background-order", type=int, default=2, help="polynomial background degree")
    xrd.add_argument("--fit-range", type=float, nargs=2, metavar=("LOW", "HIGH"), help="2-theta range, deg (10 70)")
    xrd.set_defaults(handler=_xrd)

    raman = sub.add_parser("raman", parents=[common], help="ID/IG from a spectrum: shift (cm^-1), intensity")
    raman.add_argument("--ratio", choices=["height", "area"], default="height", help="ID/IG from heights or areas")
    raman.add_argument("--profile", choices=["lorentzian", "pseudo-voigt", "gaussian"], default="lorentzian")
    raman.add_argument("--fit-range", type=float, nargs=2, metavar=("LOW", "HIGH"), help="shift range (1000 1800)")
    raman.set_defaults(handler=_raman)

    rate = sub.add_parser("rate", parents=[common], help="rate factor from a rate test: current, capacity (mAh/g)")
    rate.add_argument("--file-current-unit", choices=["mA/g", "A/g"], default="mA/g", help="unit of column 1")
    rate.add_argument("--per", choices=["A/g", "mA/g"], default="A/g", help="current unit of the rate factor")
    rate.set_defaults(handler=_rate)

    plateau = sub.add_parser("plateau", parents=[common], help="average discharge voltage: capacity, voltage")
    plateau.add_argument("--v-max", type=float, help="start where the voltage first falls to this value, V")
    plateau.add_argument("--v-min", type=float, help="end where the voltage last stays above this value, V")
    plateau.set_defaults(handler=_plateau)
    return parser


def _format_value(value: Any) -> str:
    return f"{value:.5g}" if isinstance(value, float) else str(value)


def format_table(rows: list[Row]) -> str:
    """Render ``(name, value, unit)`` rows as an aligned three-column table.

    Parameters
    ----------
    rows : list of (str, object, str)
        Parameter name, value and unit.

    Returns
    -------
    str
        The table, with a header line, without a trailing newline.
    """
    cells = [("parameter", "value", "unit")] + [(n, _format_value(v), u) for n, v, u in rows]
    w_name = max(len(c[0]) for c in cells)
    w_value = max(len(c[1]) for c in cells)
    return "\n".join(f"{n:<{w_name}}  {v:>{w_value}}  {u}".rstrip() for n, v, u in cells)


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        0 on success, 2 if the file cannot be processed. Invalid arguments make
        argparse exit with code 2 as well.
    """
    args = _build_parser().parse_args(argv)
    try:
        rows = args.handler(args)
    except ProcessingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROCESSING_ERROR
    if args.json:
        payload = {
            "file": str(args.file),
            "method": args.method,
            "values": {n: v for n, v, _ in rows},
            "units": {n: u for n, _, u in rows},
        }
        print(json.dumps(payload, indent=2))
    else:
        print(f"{args.method}: {args.file}")
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
