"""Readers: files written in each format's layout, shipped public samples, and bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nacarbon.errors import ProcessingError
from nacarbon.processing.electrochem import analyze_cycling
from nacarbon.processing.readers import read_cycling, read_raman, read_xrd
from benchmarks.synthetic import cycling_test, records

DATA = Path(__file__).parent / "data"


def _synthetic():
    return cycling_test(schedule=((100.0, 1), (20.0, 1), (200.0, 1), (1000.0, 1)), points=21)


def write_arbin_csv(path: Path) -> dict:
    data, truth = _synthetic()
    r = records(data)
    charge = np.where(r["step_type"] == "charge", r["capacity_mah"], 0.0) / 1000
    dis = np.where(r["step_type"] == "discharge", r["capacity_mah"], 0.0) / 1000
    pd.DataFrame({"Data_Point": range(1, len(r) + 1), "Test_Time(s)": r["time_s"], "Step_Index": r["step"],
                  "Cycle_Index": r["cycle"], "Current(A)": r["current_ma"] / 1000, "Voltage(V)": r["voltage_v"],
                  "Charge_Capacity(Ah)": charge, "Discharge_Capacity(Ah)": dis}).to_csv(path, index=False)
    return truth


def write_land_xlsx(path: Path) -> dict:
    data, truth = _synthetic()
    r = records(data)
    state = r["step_type"].map({"charge": "C_CC", "discharge": "D_CC", "rest": "R"})
    pd.DataFrame({"Record": range(1, len(r) + 1), "Cycle": r["cycle"], "Step": r["step"], "TestTime": r["time_s"],
                  "Current/mA": r["current_ma"].abs(), "Voltage/V": r["voltage_v"], "Capacity/mAh": r["capacity_mah"],
                  "SpeCap/mAh/g": r["capacity_mah_g"], "State": state}).to_excel(path, index=False)
    return truth


def write_mpt(path: Path, mass_mg: float | None = 2.5, decimal: str = ",") -> dict:
    data, truth = _synthetic()
    r = records(data)
    comments = ["BT-Lab settings", f"Mass of active material : {mass_mg:.3f} mg".replace(".", decimal)] if mass_mg else ["x"]
    head = ["EC-Lab ASCII FILE", f"Nb header lines : {len(comments) + 3}", *comments, "mode\ttime/s\tEwe/V\tI/mA\tNs"]
    lines = [f"1\t{t:.4f}\t{v:.6f}\t{i:.6f}\t{s}".replace(".", decimal)
             for t, v, i, s in zip(r["time_s"], r["voltage_v"], r["current_ma"], r["step"])]
    path.write_bytes(("\r\n".join(head + lines) + "\r\n").encode("latin-1"))
    return truth


@pytest.mark.parametrize("writer, suffix, fmt, library", [
    (write_arbin_csv, ".csv", "arbin", "pandas (column map)"),
    (write_land_xlsx, ".xlsx", "land", "pandas (column map)"),
    (write_mpt, ".mpt", "biologic-mpt", "galvani"),
])
def test_cycler_exports_give_the_synthetic_truth(tmp_path, writer, suffix, fmt, library):
    path = tmp_path / f"cell{suffix}"
    truth = writer(path)
    data = read_cycling(path, mass_mg=None if fmt != "arbin" else 2.5)
    assert (data.fmt, data.library) == (fmt, library)
    assert data.mass_mg == pytest.approx(2.5, rel=1e-3)  # Arbin: the option; LAND: SpeCap; mpt: header
    result = analyze_cycling(data)
    assert result.value("ice_pct") == pytest.approx(truth["ice_pct"], rel=1e-3)
    assert result.value("capacity_mah_g") == pytest.approx(truth["capacity_mah_g"], rel=1e-3)
    assert result.value("plateau_v") == pytest.approx(truth["plateau_v"], rel=1e-3)


def test_file_without_mass_needs_the_option(tmp_path):
    path = tmp_path / "cell.csv"
    write_arbin_csv(path)
    with pytest.raises(ProcessingError, match=r"cell\.csv: the file does not state the active mass; pass it"):
        analyze_cycling(read_cycling(path))


@pytest.mark.parametrize("name, mass, kinds", [
    ("TESTCELL0001-Test_Data_Collection_Ndc17.ndax", None, {"rest", "charge", "discharge"}),
    ("new_nda_file.nda", 1.0, {"rest", "charge", "discharge"}),
])
def test_shipped_neware_files_read_through_newarenda(name, mass, kinds):
    data = read_cycling(DATA / name)
    assert data.library == "NewareNDA"
    assert data.mass_mg == mass
    assert set(data.frame["step_type"]) == kinds
    assert (np.diff(data.frame["time_s"]) >= 0).all()
    # the .nda sample: 2 discharges, so cycles 1 and 2 by the sodiation-first count
    if name.endswith(".nda"):
        assert data.frame["cycle"].max() == 2


def test_shipped_xrdml_reads_with_its_wavelength():
    pattern = read_xrd(DATA / "test_scan.xrdml")
    assert pattern.two_theta_deg.size == 750
    assert pattern.two_theta_deg[0] == pytest.approx(15.01)
    assert pattern.wavelength_nm == pytest.approx(0.15405980)


def test_written_xrdml_with_counts_and_doublet(tmp_path):
    x = np.linspace(10.0, 70.0, 301)
    counts = (100 + 50 * np.exp(-((x - 23) / 3) ** 2)) * 2.0
    xml = f"""<?xml version="1.0"?><xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5">
    <xrdMeasurement measurementType="Scan" status="Completed"><usedWavelength intended="K-Alpha">
    <kAlpha1 unit="Angstrom">1.5405980</kAlpha1><kAlpha2 unit="Angstrom">1.5444260</kAlpha2>
    <ratioKAlpha2KAlpha1>0.5</ratioKAlpha2KAlpha1></usedWavelength>
    <scan status="Completed"><dataPoints><positions axis="2Theta" unit="deg"><startPosition>10</startPosition>
    <endPosition>70</endPosition></positions><commonCountingTime unit="seconds">2.0</commonCountingTime>
    <counts unit="counts">{' '.join(f'{c:.1f}' for c in counts)}</counts></dataPoints></scan></xrdMeasurement>
    </xrdMeasurements>"""
    path = tmp_path / "p.xrdml"
    path.write_text(xml, encoding="utf-8")
    pattern = read_xrd(path)
    np.testing.assert_allclose(pattern.two_theta_deg, x)
    np.testing.assert_allclose(pattern.intensity, counts / 2.0, rtol=1e-3)
    assert pattern.wavelength_nm == pytest.approx((1.540598 + 0.5 * 1.544426) / 1.5 / 10)
    truncated = tmp_path / "t.xrdml"
    truncated.write_text(xml[: len(xml) // 2], encoding="utf-8")
    with pytest.raises(ProcessingError, match=r"t\.xrdml: not a valid XRDML file"):
        read_xrd(truncated)


def test_raman_with_decimal_commas_and_semicolons(tmp_path):
    path = tmp_path / "r.csv"
    lines = ["Raman Shift (cm-1);Intensity"] + [f"{s:.1f};{100 + s / 10:.2f}".replace(".", ",")
                                                 for s in np.arange(2000.0, 800.0, -10.0)]
    path.write_text("\n".join(lines), encoding="utf-8")
    x, y = read_raman(path)
    assert x[0] == pytest.approx(810.0) and y[0] == pytest.approx(181.0)


@pytest.mark.parametrize("name, content, message", [
    ("scan.raw", b"RAW1.01", r"scan\.raw: Bruker \.raw is not read"),
    ("cell.mpt", b"EC-Lab ASCII FILE\r\nNb header lines : 5\r\n", r"cell\.mpt: galvani cannot read it"),
    ("cell.nda", b"not a neware file at all", r"cell\.nda: NewareNDA cannot read it"),
    ("cell.csv", b"wavenumber,intensity\n1,2\n3,4\n", r"cell\.csv: no current_ma column"),
    ("cell.mpr", b"BIO-LOGIC MODULAR FILE\x1a                         \x00\x00\x00\x00", r"cell\.mpr: galvani"),
])
def test_bad_files_give_one_message_naming_them(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    reader = read_xrd if name.endswith(".raw") else read_cycling
    with pytest.raises(ProcessingError, match=message):
        reader(path)
