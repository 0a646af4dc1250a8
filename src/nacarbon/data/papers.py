"""Paper identity: one canonical ``paper_id`` per source paper, the single CV group key.

Keys: ``doi:<doi>`` where a DOI is given, else ``title:<normalized title>``, and for seed references
with no known title ``cite:<journal year volume first-page>``. Which seed citation is which literature
title is data (``data/papers/paper_links.csv``, with its evidence), not code; a title corrupted in a
compilation is repaired at conversion (:func:`repair_titles`) so one paper does not get two keys.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.errors import DataValidationError

LINK_COLUMNS = ["ref_no", "citation", "literature_title", "paper_id", "evidence"]
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s,;]+)", re.IGNORECASE)


def default_links_path() -> Path:
    """The shipped links table, ``data/papers/paper_links.csv`` of the repository."""
    from nacarbon.paths import project_root

    return project_root() / "data" / "papers" / "paper_links.csv"


REPAIR_COLUMNS = ["corrupted_title", "repaired_title", "evidence"]


def load_title_repairs(path: str | Path | None = None) -> dict[str, str]:
    """Corrupted title -> repaired title, from ``data/papers/title_repairs.csv`` by default.

    DataValidationError on a missing file or column, an empty cell, or a corrupted title listed twice.
    """
    from nacarbon.paths import project_root

    path = Path(path or project_root() / "data" / "papers" / "title_repairs.csv")
    if not path.is_file():
        raise DataValidationError(str(path), [{"row": None, "field": None, "value": None,
                                               "rule": "title repairs file does not exist"}])
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = [{"row": None, "field": c, "value": None, "rule": "required column missing"}
                for c in REPAIR_COLUMNS if c not in table]
    problems += [{"row": i + 1, "field": c, "value": "", "rule": "must not be empty"}
                 for i, row in table.iterrows() for c in REPAIR_COLUMNS if c in table and not row[c].strip()]
    if not problems and table["corrupted_title"].duplicated().any():
        dup = int(np.flatnonzero(table["corrupted_title"].duplicated())[0])
        problems.append({"row": dup + 1, "field": "corrupted_title", "value": table.at[dup, "corrupted_title"],
                         "rule": "unique"})
    if problems:
        raise DataValidationError(str(path), problems)
    return dict(zip(table["corrupted_title"], table["repaired_title"]))


def repair_titles(titles: pd.Series, repairs: dict[str, str] | None = None) -> pd.Series:
    """``titles`` with every recorded corrupted title replaced by its repair (others unchanged)."""
    repairs = load_title_repairs() if repairs is None else repairs
    return titles.map(lambda t: repairs.get(t, t) if isinstance(t, str) else t)


def normalize_text(text: str) -> str:
    """Case-fold and reduce a title or citation to lowercase words separated by single spaces."""
    return re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).strip()


def title_key(title: str) -> str:
    """The ``paper_id`` of a paper known by its title."""
    return "title:" + normalize_text(title)


def doi_key(text: str) -> str | None:
    """``doi:<doi>`` (lower case, trailing dot dropped) if ``text`` holds a DOI, else None."""
    m = _DOI.search(str(text))
    return "doi:" + m.group(1).rstrip(".").casefold() if m else None


@lru_cache(maxsize=8)
def _read_links(path: str, mtime: float) -> pd.DataFrame:
    table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in LINK_COLUMNS if c not in table]
    if missing:
        raise DataValidationError(path, [{"row": None, "field": ";".join(missing), "value": None,
                                          "rule": f"the paper links table needs columns {LINK_COLUMNS}"}])
    problems = []
    for i, row in table.iterrows():
        for field in ("ref_no", "citation", "paper_id", "evidence"):
            if pd.isna(row[field]) or not str(row[field]).strip():
                problems.append({"row": i + 1, "field": field, "value": row[field], "rule": "must not be empty"})
        if pd.notna(row["literature_title"]) and row["paper_id"] != title_key(row["literature_title"]):
            problems.append({"row": i + 1, "field": "paper_id", "value": row["paper_id"],
                             "rule": f"a linked paper's id is its title key {title_key(row['literature_title'])!r}"})
    if table["ref_no"].duplicated().any():
        dup = table.index[table["ref_no"].duplicated()][0]
        problems.append({"row": dup + 1, "field": "ref_no", "value": table.at[dup, "ref_no"], "rule": "unique"})
    if problems:
        raise DataValidationError(path, problems)
    return table


def load_links(path: str | Path | None = None) -> pd.DataFrame:
    """The checked seed-reference <-> paper table: ``LINK_COLUMNS`` as text, one row per ``ref_no``.

    ``path`` defaults to :func:`default_links_path`. DataValidationError on a missing file or column, an
    empty cell, a repeated ``ref_no``, or a linked row whose ``paper_id`` is not its title's key.
    """
    path = Path(path or default_links_path())
    if not path.is_file():
        raise DataValidationError(str(path), [{"row": None, "field": None, "value": None,
                                               "rule": "paper links file does not exist"}])
    return _read_links(str(path), path.stat().st_mtime).copy()


def _lookup(links: pd.DataFrame) -> dict[str, str]:
    """Normalized citation or title -> paper_id."""
    out = {normalize_text(c): p for c, p in zip(links["citation"], links["paper_id"])}
    out.update({normalize_text(t): p for t, p in zip(links["literature_title"], links["paper_id"]) if pd.notna(t)})
    return out


def paper_ids(frame: pd.DataFrame, *, dataset: str | None = None, label: str = "<table>",
              links: pd.DataFrame | None = None) -> pd.Series:
    """The ``paper_id`` of every row of a database table (same index).

    A ``paper_id`` cell wins. Seed rows: the link of their ``ref_no``. Others: a ``doi`` cell or a DOI in
    ``source``, else the link of a source equal (normalized) to a seed citation or linked title, else the
    title key of ``source``. ``dataset`` stands in for a missing ``dataset`` column; ``label`` names the file
    in errors; ``links`` defaults to the shipped table. The DataValidationError names every row whose paper
    cannot be identified: an empty source, a seed ``ref_no`` missing or not linked, or a seed citation other
    than the one linked to its number.
    """
    links = load_links() if links is None else links
    by_ref = {str(r).strip(): (p, normalize_text(c))
              for r, p, c in zip(links["ref_no"], links["paper_id"], links["citation"])}
    by_text = _lookup(links)
    ds = frame[C.DATASET] if C.DATASET in frame else pd.Series(dataset, index=frame.index, dtype=object)
    given = frame["paper_id"] if "paper_id" in frame else pd.Series(np.nan, index=frame.index, dtype=object)
    doi_col = frame["doi"] if "doi" in frame else pd.Series(np.nan, index=frame.index, dtype=object)
    source = frame[C.SOURCE] if C.SOURCE in frame else pd.Series(np.nan, index=frame.index, dtype=object)
    ref = frame[C.REF_NO] if C.REF_NO in frame else pd.Series(np.nan, index=frame.index, dtype=object)
    out, problems = [], []
    for pos, idx in enumerate(frame.index):
        src, d = source[idx], ds[idx]
        if pd.notna(given[idx]) and str(given[idx]).strip():
            out.append(str(given[idx]).strip())
            continue
        if d == "seed":
            key = _ref_text(ref[idx])
            if key not in by_ref:
                problems.append({"row": pos + 1, "field": C.REF_NO, "value": ref[idx],
                                 "rule": "seed reference not in data/papers/paper_links.csv: add it with its paper"})
                out.append(None)
                continue
            pid, cite = by_ref[key]
            if pd.notna(src) and normalize_text(src) != cite:
                problems.append({"row": pos + 1, "field": C.SOURCE, "value": src,
                                 "rule": f"differs from the citation paper_links.csv records for reference {key}"})
            out.append(pid)
            continue
        if pd.isna(src) or not str(src).strip():
            problems.append({"row": pos + 1, "field": C.SOURCE, "value": src,
                             "rule": "the paper cannot be identified: give its title, citation or DOI"})
            out.append(None)
            continue
        doi = doi_key(doi_col[idx]) if pd.notna(doi_col[idx]) else None
        out.append(doi or doi_key(src) or by_text.get(normalize_text(src)) or title_key(src))
    if problems:
        raise DataValidationError(label, problems)
    return pd.Series(out, index=frame.index, name=C.PAPER_ID, dtype=object)


def _ref_text(value: object) -> str:
    """A reference number as text: ``41.0`` and ``'41'`` both give ``'41'``."""
    if pd.isna(value):
        return ""
    try:
        return str(int(float(value)))
    except (TypeError, ValueError):
        return str(value).strip()


def with_paper_ids(frame: pd.DataFrame, *, dataset: str | None = None, label: str = "<table>",
                   links: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return ``frame`` with a ``paper_id`` column (see :func:`paper_ids`) after ``dataset``."""
    ids = paper_ids(frame, dataset=dataset, label=label, links=links)
    out = frame.drop(columns=[C.PAPER_ID], errors="ignore")
    at = list(out.columns).index(C.DATASET) + 1 if C.DATASET in out else min(1, len(out.columns))
    out.insert(at, C.PAPER_ID, ids.to_numpy())
    return out
