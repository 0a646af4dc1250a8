"""Paper identity: every row has a paper_id, it is the CV group, and no paper straddles a split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from nacarbon.data.design import make_design
from nacarbon.data.io import load_configured, read_table
from nacarbon.data.papers import load_links, load_title_repairs, paper_ids, repair_titles, title_key
from nacarbon.errors import DataValidationError
from nacarbon.evaluation.splits import make_splitter
from nacarbon.paths import project_root

ROOT = project_root()
DATASETS = sorted(p.stem for p in (ROOT / "conf" / "dataset").glob("*.yaml"))
CVS = sorted(p.stem for p in (ROOT / "conf" / "cv").glob("*.yaml"))


def dataset_cfg(name: str):
    cfg = OmegaConf.create({"paths": {"data_dir": str(ROOT / "data")},
                            "dataset": OmegaConf.load(ROOT / "conf" / "dataset" / f"{name}.yaml")})
    return cfg.dataset


@pytest.fixture(scope="module")
def loaded():
    return {name: load_configured(dataset_cfg(name)) for name in DATASETS}


@pytest.mark.parametrize("name", DATASETS)
def test_every_row_has_a_paper_id(loaded, name):
    frame = loaded[name].frame
    assert frame["paper_id"].notna().all() and frame["paper_id"].str.match(r"^(doi|title|cite):\S").all()


def test_linked_seed_and_literature_rows_share_one_paper(loaded):
    merged = loaded["merged"].frame
    reed = merged[merged["paper_id"] == title_key(
        "Facile hydrothermal treatment route of reed straw-derived hard carbon for high performance sodium ion battery")]
    assert set(reed["dataset"]) == {"seed"} | ({"literature"} if (reed["dataset"] == "literature").any() else set())
    assert set(reed.loc[reed["dataset"] == "seed", "sample_id"]) == {"T1-12", "T1-25", "T1-32", "T1-41"}
    # one paper never hides behind two spellings: as many papers as distinct (seed ref or title)
    links = load_links()
    assert merged["paper_id"].nunique() < merged["source"].nunique()
    for _, link in links.dropna(subset=["literature_title"]).iterrows():
        ids = set(merged.loc[merged["source"].isin([link["citation"], link["literature_title"]]), "paper_id"])
        assert ids == {link["paper_id"]}


def test_links_name_real_titles_and_every_seed_reference():
    links = load_links()
    titles = set(read_table(ROOT / "data" / "literature_583.csv")["source"])
    assert set(links["literature_title"].dropna()) <= titles
    seed = read_table(ROOT / "data" / "liu2022_tables.csv")
    assert set(seed["ref_no"].astype(int).astype(str)) == set(links["ref_no"])
    assert links["evidence"].str.len().min() > 10


def test_same_paper_duplicates_are_dropped_with_loose_d002(loaded):
    report = loaded["merged"].merge_report
    pairs = set(zip(report["sample_id"], report["duplicate_of"]))
    # d002 0.395 vs 0.371 nm (re-digitized), same paper, same HTT/SSA/ICE
    assert ("L-0531", "T1-43") in pairs and ("L-0453", "T1-24") in pairs
    # the fingerprint alone also pairs T1-13 with L-0308, another paper: not a duplicate
    assert "L-0308" not in set(report["sample_id"])
    # one cherry-petal carbon in both compilations, SSA re-read as 2.00 and 1.86 m2/g
    assert ("L-0462", "T1-20") in pairs
    # but within one compilation a 0.5 m2/g SSA floor would merge distinct samples of a series
    assert "L-0024" not in set(report["sample_id"])


def test_corrupted_title_is_repaired_into_its_paper(loaded):
    lit = loaded["literature"].frame.set_index("sample_id")
    assert lit.at["L-0084", "paper_id"] == lit.at["L-0079", "paper_id"]
    assert "title repaired" in lit.at["L-0084", "note"] and "B302:B310" in lit.at["L-0084", "note"]
    repairs = load_title_repairs()
    assert not set(repairs) & set(lit["source"])
    titles = pd.Series(["Micros+B302:B310tructure x", "Other", np.nan])
    assert list(repair_titles(titles, {"Micros+B302:B310tructure x": "Microstructure x"}).fillna("-")) == [
        "Microstructure x", "Other", "-"]


@pytest.mark.parametrize(("text", "rule"), [
    ("corrupted_title,repaired_title\nA,B\n", "required column missing"),
    ("corrupted_title,repaired_title,evidence\nA,,why\n", "must not be empty"),
    ("corrupted_title,repaired_title,evidence\nA,B,why\nA,C,why\n", "unique"),
])
def test_bad_title_repairs_table_names_the_problem(tmp_path, text, rule):
    path = tmp_path / "title_repairs.csv"
    path.write_text(text)
    with pytest.raises(DataValidationError, match=rule):
        load_title_repairs(path)


@pytest.mark.parametrize("cv", CVS)
@pytest.mark.parametrize("name", DATASETS)
def test_no_paper_on_both_sides_of_any_split(loaded, name, cv):
    spec = OmegaConf.load(ROOT / "conf" / "cv" / f"{cv}.yaml")
    frame = loaded[name].frame
    for target in ("ice_pct", "capacity_mah_g", "plateau_capacity_mah_g", "rate_factor", "plateau_v"):
        if target not in frame or frame[target].notna().sum() < 20:
            continue
        design = make_design(frame, features=["d002_nm", "htt_c", "is_ether"], target=target)
        assert (design.groups == frame.loc[frame[target].notna(), "paper_id"].to_numpy()).all()
        splitter = make_splitter(spec, random_state=3)
        for train, test in splitter.split(design.X, design.y, design.groups):
            assert set(design.groups[train]).isdisjoint(design.groups[test])


def test_unknown_seed_reference_is_an_error_naming_the_row():
    seed = read_table(ROOT / "data" / "liu2022_tables.csv", dataset="seed")
    seed.loc[4, "ref_no"] = "999"
    with pytest.raises(DataValidationError) as err:
        paper_ids(seed, label="liu2022_tables.csv")
    msg = str(err.value)
    assert "liu2022_tables.csv" in msg and "row 5" in msg and "ref_no" in msg and "999" in msg


def test_seed_citation_must_agree_with_its_link():
    seed = read_table(ROOT / "data" / "liu2022_tables.csv", dataset="seed")
    seed.loc[0, "source"] = "Somebody else, Nature, 2020, 1, 1."
    with pytest.raises(DataValidationError, match=r"row 1, field 'source'"):
        paper_ids(seed, label="seed")


def test_row_without_source_is_an_error_naming_it():
    rows = pd.DataFrame({"sample_id": ["C-1", "C-2"], "dataset": "contributed",
                         "source": ["A paper title", np.nan]})
    with pytest.raises(DataValidationError, match=r"row 2, field 'source'.*cannot be identified"):
        paper_ids(rows, label="contributed.csv")


def test_contributed_rows_resolve_doi_citation_and_title():
    links = load_links()
    cite = links.dropna(subset=["literature_title"]).iloc[0]
    rows = pd.DataFrame({"dataset": "contributed",
                         "source": ["see https://doi.org/10.1039/D1TA10588D.", cite["citation"].upper(),
                                    "  A New  Title!  "]})
    assert list(paper_ids(rows)) == ["doi:10.1039/d1ta10588d", cite["paper_id"], "title:a new title"]
