"""``python -m nacarbon.db``: check and grow the database.

    python -m nacarbon.db validate [FILE ...]   # default: every shipped table
    python -m nacarbon.db version  [FILE ...]   # content hash (data version) of each table
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from nacarbon.data.io import content_hash, read_table
from nacarbon.errors import NacarbonError
from nacarbon.paths import project_root


def shipped_tables() -> list[Path]:
    """The database tables in ``data/`` (every top-level CSV)."""
    return sorted((project_root() / "data").glob("*.csv"))


def cmd_validate(files: Sequence[str]) -> int:
    """Validate each file; print one line per good file. Raises on the first bad one."""
    for f in files or shipped_tables():
        table = read_table(f)
        print(f"ok  {f}: {len(table)} rows, data version {content_hash(table)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m nacarbon.db", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_val = sub.add_parser("validate", help="check tables against the schema")
    p_val.add_argument("files", nargs="*")
    p_ver = sub.add_parser("version", help="print the data version of tables")
    p_ver.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    try:
        if args.command in ("validate", "version"):
            return cmd_validate(args.files)
    except NacarbonError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
