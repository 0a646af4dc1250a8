"""``python -m nacarbon.db``: check and grow the database.

    python -m nacarbon.db validate [FILE ...]            # default: every shipped table
    python -m nacarbon.db version  [FILE ...]            # data version of each table (and of merged)
    python -m nacarbon.db add FILE.csv [--into TABLE] [--dry-run]
                                                         # append checked rows (default data/contributed.csv)
    python -m nacarbon.db update FILE.csv --reason "..." [--into TABLE] [--dry-run]
                                                         # replace rows by sample_id (a correction)
    python -m nacarbon.db withdraw SAMPLE_ID --reason "..." [--from TABLE] [--dry-run]
                                                         # remove a contributed row
    python -m nacarbon.db export DATASET FILE.csv        # the table training sees (merged, deduplicated, paper_id)

update and withdraw check like add, write atomically under add's lock and record each change
(when, which row, the reason, the row as it was) in DATA_DIR/changes/log.csv.

Every subcommand takes ``--data-dir DIR`` (default: the repository's ``data/``).
Exit codes: 0 success, 2 the data or the write was refused (one message on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from omegaconf import OmegaConf

from nacarbon.cli import exits_on_error
from nacarbon.data.ingest import add_rows
from nacarbon.data.io import content_hash, load_dataset, read_table
from nacarbon.data.table_write import LOCK_NAME, TableChange
from nacarbon.paths import project_root

CONTRIBUTED = "contributed.csv"


def default_data_dir() -> Path:
    """The repository's ``data/`` folder."""
    return project_root() / "data"


def shipped_tables(data_dir: str | Path | None = None) -> list[Path]:
    """The database tables in ``data_dir`` (every top-level CSV; default the repository's)."""
    return sorted(Path(data_dir or default_data_dir()).glob("*.csv"))


def merged_files(data_dir: str | Path | None = None) -> list[Path]:
    """The files of the ``merged`` dataset, as ``conf/dataset/merged.yaml`` lists them, in ``data_dir``."""
    spec = OmegaConf.load(project_root() / "conf" / "dataset" / "merged.yaml")
    cfg = OmegaConf.create({"paths": {"data_dir": str(data_dir or default_data_dir())}, "dataset": spec})
    return [Path(f) for f in OmegaConf.to_container(cfg, resolve=True)["dataset"]["files"]]


def cmd_validate(files: Sequence[str], data_dir: Path) -> int:
    """Validate each file; print one line per good file. Raises on the first bad one."""
    for f in files or shipped_tables(data_dir):
        table = read_table(f)
        print(f"ok  {f}: {len(table)} rows, data version {content_hash(table)}")
    return 0


def cmd_version(files: Sequence[str], data_dir: Path) -> int:
    """Like validate; without files, also print the merged dataset's size and version."""
    cmd_validate(files, data_dir)
    if not files:
        merged = load_dataset("merged", merged_files(data_dir), merge=True)
        print(f"ok  merged: {len(merged.frame)} rows, data version {merged.version}")
    return 0


def _ids(ids: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f", ... ({len(ids) - limit} more)" if len(ids) > limit else "")


def report_add(result: TableChange) -> str:
    """The lines ``add`` prints: rows added and the new data versions."""
    verb = "would add" if result.dry_run else "added"
    lines = [f"{verb} {len(result.sample_ids)} row(s) from {result.file} to {result.target}: {_ids(result.sample_ids)}",
             f"  table data version: {result.table_version_before} -> {result.table_version}"]
    if result.merged_version is not None:
        lines.append(f"  merged dataset: {result.merged_rows_before} -> {result.merged_rows} rows, "
                     f"data version {result.merged_version_before} -> {result.merged_version}")
    if result.dry_run:
        lines.append("  dry run: nothing written")
    return "\n".join(lines)


def cmd_add(file: str, into: str | None, data_dir: Path, dry_run: bool) -> int:
    """Append the rows of ``file`` to a table after checking them; print what changed."""
    target = Path(into) if into else data_dir / CONTRIBUTED
    result = add_rows(file, target, reference=shipped_tables(data_dir), merged=merged_files(data_dir),
                      lock=data_dir / LOCK_NAME, dry_run=dry_run,
                      on_wait=lambda p: print(f"waiting for another add to finish (lock {p})",
                                              file=sys.stderr, flush=True))
    print(report_add(result))
    return 0


def cmd_amend(args: argparse.Namespace, data_dir: Path) -> int:
    """``update`` or ``withdraw`` a contributed row; print what changed."""
    from nacarbon.data.amend import update_rows, withdraw_row

    wait = {"lock": data_dir / LOCK_NAME, "dry_run": args.dry_run,
            "on_wait": lambda p: print(f"waiting for another change to finish (lock {p})", file=sys.stderr, flush=True)}
    if args.command == "update":
        target = Path(args.into) if args.into else data_dir / CONTRIBUTED
        result = update_rows(args.file, target, reason=args.reason, reference=shipped_tables(data_dir), **wait)
    else:
        target = Path(args.table) if args.table else data_dir / CONTRIBUTED
        result = withdraw_row(args.sample_id, target, reason=args.reason, **wait)
    verb = {"update": "updated", "withdraw": "withdrew"}[result.action]
    print(f"{'would have ' if result.dry_run else ''}{verb} {len(result.sample_ids)} row(s) of {result.target}: "
          f"{_ids(list(result.sample_ids))}\n  table data version: {result.table_version_before} -> "
          f"{result.table_version}\n  " + ("dry run: nothing written" if result.dry_run else f"recorded in {result.log}"))
    return 0


def cmd_export(dataset: str, file: str, data_dir: Path) -> int:
    """Write ``conf/dataset/DATASET.yaml``'s table as training loads it (see nacarbon.data.export)."""
    from nacarbon.data.export import export_dataset
    from nacarbon.errors import ConfigError

    folder = project_root() / "conf" / "dataset"
    spec_path = folder / f"{dataset}.yaml"
    if not dataset or "/" in dataset or "\\" in dataset or not spec_path.is_file():
        known = sorted(p.stem for p in folder.glob("*.yaml"))
        raise ConfigError(f"no conf/dataset/{dataset}.yaml", key="dataset", value=dataset, allowed=known)
    cfg = OmegaConf.create({"paths": {"data_dir": str(data_dir)}, "dataset": OmegaConf.load(spec_path)})
    table = export_dataset(cfg.dataset, file)
    print(f"wrote {file}: {len(table)} rows, {table['paper_id'].nunique()} papers (dataset={dataset})")
    return 0


@exits_on_error
def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry; returns the exit code (2, with one ``error:`` line, when refused)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=None,
                        help="folder of the database tables (default: the repository's data/)")
    parser = argparse.ArgumentParser(prog="python -m nacarbon.db", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_val = sub.add_parser("validate", parents=[common], help="check tables against the schema")
    p_val.add_argument("files", nargs="*")
    p_ver = sub.add_parser("version", parents=[common], help="print the data version of tables")
    p_ver.add_argument("files", nargs="*")
    p_add = sub.add_parser("add", parents=[common], help="append checked rows to a table")
    p_add.add_argument("file", help="CSV of new rows, with a header of table columns; source is required")
    p_add.add_argument("--into", default=None, help=f"table to grow (default: DATA_DIR/{CONTRIBUTED})")
    p_add.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    p_upd = sub.add_parser("update", parents=[common], help="correct contributed rows (matched by sample_id)")
    p_upd.add_argument("file", help="CSV of corrected rows, with a header of table columns")
    p_upd.add_argument("--into", default=None, help=f"table to correct (default: DATA_DIR/{CONTRIBUTED})")
    p_wd = sub.add_parser("withdraw", parents=[common], help="remove a contributed row")
    p_wd.add_argument("sample_id")
    p_wd.add_argument("--from", dest="table", default=None, help=f"table (default: DATA_DIR/{CONTRIBUTED})")
    for p in (p_upd, p_wd):
        p.add_argument("--reason", required=True, help="why; recorded in DATA_DIR/changes/log.csv")
        p.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    p_exp = sub.add_parser("export", parents=[common], help="write a dataset as training sees it")
    p_exp.add_argument("dataset", help="a conf/dataset/ name: seed, literature, merged, ...")
    p_exp.add_argument("file", help="CSV to write")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    if args.command == "validate":
        return cmd_validate(args.files, data_dir)
    if args.command == "version":
        return cmd_version(args.files, data_dir)
    if args.command == "export":
        return cmd_export(args.dataset, args.file, data_dir)
    if args.command == "add":
        return cmd_add(args.file, args.into, data_dir, args.dry_run)
    return cmd_amend(args, data_dir)   # update, withdraw: argparse allows no other command
