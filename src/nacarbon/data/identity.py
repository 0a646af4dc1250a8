"""Is this one paper under two keys? The paper fingerprint, its evidence, and the recorded decisions.

``paper_id`` comes from a row's source string (:mod:`nacarbon.data.papers`), so a paper gets two keys
when the seed cites it and the literature set gives its title without a recorded link, or when a title
is corrupted. Two checks find such papers:

- **Numbers.** Rows of different keys with the same HTT, SSA within ``max(1 %, 0.5 m2/g)`` (the floor:
  the compilations re-digitized one sample, T1-20 and L-0462, 2.00 vs 1.86 m2/g) and ICE within 0.6
  points are candidates. Alone the rule pairs 19 literature rows of *different* titles (chance at low
  SSA), so a link also needs ID/IG within 0.005 + 1 % or the same material name, d002 within 0.05 nm
  and the same electrolyte class. 3 of the 19 still pass (two are one lab's reference sample reused):
  about one candidate in six passes by chance, so a link is a recorded decision, not automatic, and
  where both rows carry a title, two distinct titles overrule the numbers.
- **Titles.** A difflib ratio >= ``TITLE_RATIO`` is one title with a typo or spreadsheet residue (on
  the literature set the corrupted pair scores 0.962, the closest distinct papers 0.869). Repairs
  live in ``data/papers/title_repairs.csv``.

Verdicts and evidence are recorded in ``data/papers/identity_decisions.csv``; :func:`undecided` lists
candidates whose verdict is missing or no longer what the rule says.
"""

from __future__ import annotations

import difflib
import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.papers import normalize_text

SSA_RTOL, SSA_ATOL = 0.01, 0.5  # m2/g: re-digitized low-SSA values differ by ~0.1-0.2
ICE_ATOL = 0.6  # points: the seed prints integer %
IDIG_RTOL, IDIG_ATOL = 0.01, 0.005
D002_ATOL = 0.05  # nm: one XRD pattern read twice
TITLE_RATIO = 0.95
MATERIAL_NAME = "material_name"
DECISION_COLUMNS = ["sample_a", "sample_b", "paper_a", "paper_b", "decision", "evidence"]


def default_decisions_path() -> Path:
    """The shipped decisions, ``data/papers/identity_decisions.csv``."""
    from nacarbon.paths import project_root

    return project_root() / "data" / "papers" / "identity_decisions.csv"


def _close(a: pd.Series, b: pd.Series, rtol: float, atol: float) -> pd.Series:
    """|a - b| <= max(atol, rtol * max(|a|, |b|)); False where either is missing."""
    a, b = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
    return (a - b).abs() <= np.maximum(atol, rtol * np.maximum(a.abs(), b.abs()))


def candidate_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Row pairs of different ``paper_id`` that the numeric fingerprint calls one sample.

    ``frame`` holds every dataset's rows, before deduplication; each pair (a before b in table order)
    carries both rows' columns suffixed ``_a``/``_b``.
    """
    keys = frame.dropna(subset=[C.HTT_C]).reset_index(drop=True).assign(_pos=lambda d: np.arange(len(d)))
    pairs = keys.merge(keys, on=C.HTT_C, suffixes=("_a", "_b"))
    pairs = pairs[(pairs["_pos_a"] < pairs["_pos_b"]) & (pairs[f"{C.PAPER_ID}_a"] != pairs[f"{C.PAPER_ID}_b"])]
    hit = (_close(pairs[f"{C.SSA_M2_G}_a"], pairs[f"{C.SSA_M2_G}_b"], SSA_RTOL, SSA_ATOL)
           & _close(pairs[f"{C.ICE_PCT}_a"], pairs[f"{C.ICE_PCT}_b"], 0.0, ICE_ATOL))
    return pairs[hit].sort_values(["_pos_a", "_pos_b"]).reset_index(drop=True)


def _has_title(pair: pd.Series, side: str) -> bool:
    """A row names its paper by title (a seed row names it by citation)."""
    return pair[f"{C.DATASET}_{side}"] != "seed" and str(pair[f"{C.PAPER_ID}_{side}"]).startswith("title:")


def title_ratio(a: str, b: str) -> float:
    """difflib similarity of two normalized titles (1.0 = same words)."""
    return difflib.SequenceMatcher(None, normalize_text(a), normalize_text(b)).ratio()


def _agrees(pair: pd.Series, field: str, rtol: float, atol: float) -> bool | None:
    """True/False where both rows have the field, None where one lacks it."""
    a, b = pd.to_numeric(pd.Series([pair[f"{field}_a"]]), errors="coerce"), pd.to_numeric(
        pd.Series([pair[f"{field}_b"]]), errors="coerce")
    if a.isna().any() or b.isna().any():
        return None
    return bool(_close(a, b, rtol, atol).iloc[0])


def _corroboration(pair: pd.Series) -> tuple[bool, str]:
    """Whether the evidence beyond the fingerprint supports one sample, and why (not)."""
    def text(field: str) -> str:
        return f"{field} {pair[f'{field}_a']}/{pair[f'{field}_b']}"

    idig = _agrees(pair, C.ID_IG, IDIG_RTOL, IDIG_ATOL)
    d002 = _agrees(pair, C.D002_NM, 0.0, D002_ATOL)
    names = [normalize_text(pair.get(f"{MATERIAL_NAME}_{s}", "")) for s in "ab"]
    same_name = names[0] not in ("", "nan") and names[0] == names[1]
    ely = pair[f"{C.ELECTROLYTE}_a"], pair[f"{C.ELECTROLYTE}_b"]
    evidence = f"{text(C.ID_IG)}; {text(C.D002_NM)}; electrolyte {ely[0]}/{ely[1]}"
    if d002 is False:
        return False, f"{evidence}: d002 differs by more than {D002_ATOL} nm"
    if pd.notna(ely[0]) and pd.notna(ely[1]) and ely[0] != ely[1]:
        return False, f"{evidence}: electrolytes differ"
    if not (idig or same_name):
        return False, f"{evidence}: neither ID/IG nor material name corroborates"
    return True, f"{evidence}: {'ID/IG' if idig else 'material name'} corroborates"


def judge(pair: pd.Series) -> tuple[str, str]:
    """Verdict (``link`` or ``reject``) on one candidate pair, with its evidence in words.

    Distinct titles on both rows overrule the numbers; otherwise the pair is linked when
    :func:`_corroboration` supports it.
    """
    numbers = (f"HTT {pair[C.HTT_C]:g}; SSA {pair[f'{C.SSA_M2_G}_a']}/{pair[f'{C.SSA_M2_G}_b']}; "
               f"ICE {pair[f'{C.ICE_PCT}_a']}/{pair[f'{C.ICE_PCT}_b']}")
    corroborated, why = _corroboration(pair)
    if _has_title(pair, "a") and _has_title(pair, "b"):
        ratio = title_ratio(pair[f"{C.SOURCE}_a"], pair[f"{C.SOURCE}_b"])
        if ratio < TITLE_RATIO:
            return "reject", f"two distinct titles (difflib {ratio:.2f}) overrule {numbers}; {why}"
    return ("link" if corroborated else "reject"), f"{numbers}; {why}"


def judged_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Every candidate of :func:`candidate_pairs` with the rule's verdict, columns ``DECISION_COLUMNS``."""
    pairs = candidate_pairs(frame)
    verdicts = [judge(p) for _, p in pairs.iterrows()]
    return pd.DataFrame({
        "sample_a": pairs[f"{C.SAMPLE_ID}_a"], "sample_b": pairs[f"{C.SAMPLE_ID}_b"],
        "paper_a": pairs[f"{C.PAPER_ID}_a"], "paper_b": pairs[f"{C.PAPER_ID}_b"],
        "decision": [v[0] for v in verdicts], "evidence": [v[1] for v in verdicts],
    }, columns=DECISION_COLUMNS)


def load_decisions(path: str | Path | None = None) -> pd.DataFrame:
    """The recorded verdicts (``data/papers/identity_decisions.csv`` by default), as text."""
    return pd.read_csv(path or default_decisions_path(), dtype=str, keep_default_na=False)


def undecided(frame: pd.DataFrame, decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Candidates of ``frame`` whose recorded verdict is missing or differs from the rule's.

    A ``link`` is recorded once the two rows share a key (a row of ``paper_links.csv`` or a title
    repair), after which they are no longer candidates; a recorded ``link`` that is still a
    candidate is therefore reported too: that paper still sits under two keys.
    """
    decisions = load_decisions() if decisions is None else decisions
    recorded = {(a, b): d for a, b, d in zip(decisions["sample_a"], decisions["sample_b"], decisions["decision"])}
    judged = judged_pairs(frame)
    ok = [recorded.get((a, b)) == d == "reject"
          for a, b, d in zip(judged["sample_a"], judged["sample_b"], judged["decision"])]
    return judged[~np.asarray(ok, dtype=bool)].reset_index(drop=True)


def near_titles(titles: pd.Series, threshold: float = TITLE_RATIO) -> list[tuple[str, str, float]]:
    """Pairs of distinct titles whose difflib ratio is at least ``threshold`` (one paper, two spellings)."""
    distinct = sorted({t for t in titles.dropna().astype(str) if t.strip()})
    out = []
    for a, b in itertools.combinations(distinct, 2):
        m = difflib.SequenceMatcher(None, normalize_text(a), normalize_text(b))
        if normalize_text(a) != normalize_text(b) and m.real_quick_ratio() >= threshold \
                and m.quick_ratio() >= threshold and m.ratio() >= threshold:
            out.append((a, b, round(m.ratio(), 3)))
    return out
