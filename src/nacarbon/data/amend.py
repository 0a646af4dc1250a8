"""Correct or withdraw contributed rows, with the checks, lock and atomicity of ``db add``, and a record.

``db add`` refuses a used sample id, so a row added too early or with a slip could not be fixed otherwise.
Each change goes to ``changes/log.csv`` with its reason and the old row verbatim, so the data version a
past run was trained on can be rebuilt. The seed and literature tables are converted, never amended.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.sample_ids import CONTROL, id_key
from nacarbon.data.ingest import check_new_rows
from nacarbon.data.io import content_hash, dataset_name, read_raw, read_table
from nacarbon.data.schema import problem
from nacarbon.data.table_write import LOCK_NAME, TableChange, exclusive_lock, line_ending, replace_file, staged
from nacarbon.errors import DataValidationError, NacarbonError

LOG = Path("changes") / "log.csv"
LOG_COLUMNS = ["time_utc", "action", "table", "sample_id", "reason", "row_before", "row_after"]
FROZEN = ("seed", "literature")     # converted from their sources: corrected there, or waived


def _check_request(target: Path, reason: str, label: str) -> None:
    problems = []
    if dataset_name(target) in FROZEN:
        problems.append(problem(None, "table", str(target),
                                 f"the {dataset_name(target)} table is converted from its source: correct it there, "
                                 f"or waive a rule with qc_waiver and a note; only contributed tables are amended"))
    if not reason.strip() or CONTROL.search(reason):
        problems.append(problem(None, "--reason", reason, "say why (a non-empty sentence, recorded in the change log)"))
    if problems:
        raise DataValidationError(label, problems)


def _table_bytes(frame: pd.DataFrame, original: bytes) -> bytes:
    """The text table as CSV, with the original file's line ending."""
    return frame.to_csv(index=False, lineterminator=line_ending(original)).encode("utf-8")


def _log_bytes(log: Path, entries: list[dict]) -> bytes:
    old = log.read_bytes() if log.is_file() else b""
    new = pd.DataFrame(entries, columns=LOG_COLUMNS).to_csv(index=False, header=not old, lineterminator="\n")
    return old + new.encode("utf-8")


def _write_log(log: Path, data: bytes) -> None:
    try:
        replace_file(log, data)
    except OSError as err:
        raise NacarbonError(f"could not write the change log {log}: {err}; the table is unchanged") from err


def _row_json(row: pd.Series | None) -> str:
    return "" if row is None else json.dumps({k: v for k, v in row.items() if pd.notna(v)}, ensure_ascii=False)


def _commit(target: Path, text: pd.DataFrame, entries: list[dict], log: Path, *, action: str, ids: Sequence[str],
            before: pd.DataFrame, dry_run: bool) -> TableChange:
    """Validate the new table, record the change, swap the table in (unless ``dry_run``)."""
    data = _table_bytes(text, target.read_bytes())
    with staged(target, data, len(text), dry_run=dry_run) as after:
        result = TableChange(action, str(target), tuple(ids), content_hash(before), content_hash(after),
                             log=str(log), dry_run=dry_run)
        if not dry_run:   # the record first: a change never lands without its reason
            stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
            _write_log(log, _log_bytes(log, [{**e, "time_utc": stamp, "action": action, "table": target.name}
                                             for e in entries]))
    return result


def update_rows(file: str | Path, target: str | Path, *, reason: str, reference: Sequence[str | Path] = (),
                lock: str | Path | None = None, log: str | Path | None = None, dry_run: bool = False,
                on_wait: Callable[[Path], None] | None = None) -> TableChange:
    """Replace rows of ``target`` (a contributed table) by the rows of ``file`` with the same ``sample_id``.

    ``reference`` lists every shipped table: a corrected row must not take another row's id or material.
    ``lock`` and ``log`` default to ``.nacarbon-add.lock`` and ``changes/log.csv`` beside ``target``;
    ``on_wait`` gets the lock path if another change holds it. DataValidationError (an id not in
    ``target``, a row ``db add`` would refuse) or NacarbonError (a write failed) leave the table unchanged.
    """
    file, target = Path(file), Path(target)
    _check_request(target, reason, str(file))
    log = target.parent / LOG if log is None else Path(log)
    with exclusive_lock(target.parent / LOCK_NAME if lock is None else Path(lock), on_wait):
        text, before = read_raw(target), read_table(target)
        keys = [id_key(s) for s in text[C.SAMPLE_ID]]
        given = read_raw(file)
        ids = given[C.SAMPLE_ID] if C.SAMPLE_ID in given else pd.Series(dtype=object)
        missing = [problem(i + 1, C.SAMPLE_ID, s, f"not in {target}: add a new row with `python -m nacarbon.db add`")
                   for i, s in enumerate(ids) if id_key(s) not in keys]
        if missing:
            raise DataValidationError(str(file), missing)
        where = {id_key(s): keys.index(id_key(s)) for s in ids}
        # the rows being corrected are checked against everything but their own old version
        existing = {Path(p).resolve(): read_table(p) for p in reference if Path(p).resolve() != target.resolve()}
        existing[target.resolve()] = before.drop(index=list(where.values())).reset_index(drop=True)
        raw, _ = check_new_rows(file, target, existing)
        new_text = text.copy()
        for i, sid in enumerate(raw[C.SAMPLE_ID]):
            new_text.loc[where[id_key(sid)]] = raw.iloc[i].reindex(new_text.columns).to_numpy()
        entries = [{"sample_id": sid, "reason": reason, "row_before": _row_json(text.loc[where[id_key(sid)]]),
                    "row_after": _row_json(raw.iloc[i])} for i, sid in enumerate(raw[C.SAMPLE_ID])]
        return _commit(target, new_text, entries, log, action="update", ids=list(raw[C.SAMPLE_ID]), before=before,
                       dry_run=dry_run)


def withdraw_row(sample_id: str, target: str | Path, *, reason: str, lock: str | Path | None = None,
                 log: str | Path | None = None, dry_run: bool = False,
                 on_wait: Callable[[Path], None] | None = None) -> TableChange:
    """Remove the row ``sample_id`` (compared ignoring case and spaces) from ``target``, recording why.

    DataValidationError (no such row, no reason, a table not amended here) or NacarbonError (a write
    failed) leave the table unchanged.
    """
    target = Path(target)
    _check_request(target, reason, str(target))
    log = target.parent / LOG if log is None else Path(log)
    with exclusive_lock(target.parent / LOCK_NAME if lock is None else Path(lock), on_wait):
        text, before = read_raw(target), read_table(target)
        keys = [id_key(s) for s in text[C.SAMPLE_ID]]
        if id_key(sample_id) not in keys:
            raise DataValidationError(str(target), [problem(None, C.SAMPLE_ID, sample_id, "no row has this sample_id")])
        i = keys.index(id_key(sample_id))
        entry = {"sample_id": text[C.SAMPLE_ID].iloc[i], "reason": reason, "row_before": _row_json(text.iloc[i]),
                 "row_after": ""}
        return _commit(target, text.drop(index=text.index[i]).reset_index(drop=True), [entry], log,
                       action="withdraw", ids=[entry["sample_id"]], before=before, dry_run=dry_run)

