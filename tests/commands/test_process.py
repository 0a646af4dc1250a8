"""python -m nacarbon.process: table and JSON output, exit code 2 naming the bad file."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from nacarbon.commands.process import main
from nacarbon.processing.peaks import pseudo_voigt


@pytest.fixture
def xrd_file(tmp_path):
    two_theta = np.arange(5.0, 80.0, 0.05)
    intensity = (
        150.0 - 1.2 * two_theta + 0.008 * two_theta**2
        + pseudo_voigt(two_theta, 1000.0, 23.0, 8.0, 0.4)
        + pseudo_voigt(two_theta, 300.0, 43.5, 5.0, 0.3)
        + np.random.default_rng(0).normal(0.0, 10.0, two_theta.size)
    )
    path = tmp_path / "pattern.xy"
    np.savetxt(path, np.column_stack([two_theta, intensity]), header="2theta intensity", comments="")
    return path


@pytest.fixture
def rate_file(tmp_path):
    path = tmp_path / "rate.csv"
    path.write_text("current_mA_g,capacity_mAh_g\n100,300\n1050,200\n2000,100\n", encoding="utf-8")
    return path


def test_xrd_prints_a_table(xrd_file, capsys):
    assert main(["xrd", str(xrd_file)]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    # truth: d002 = 0.15406 / (2 sin 11.5 deg) = 0.3864 nm
    assert float(lines["d002_nm"][0]) == pytest.approx(0.3864, abs=0.002)
    assert lines["la_nm"][1] == "nm"


def test_xrd_json_in_radians(xrd_file, tmp_path, capsys):
    two_theta, intensity = np.loadtxt(xrd_file, skiprows=1, unpack=True)
    rad_file = tmp_path / "pattern_rad.csv"
    np.savetxt(rad_file, np.column_stack([np.radians(two_theta), intensity]), delimiter=",")
    assert main(["xrd", str(rad_file), "--angle-unit", "rad", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["method"] == "xrd"
    assert payload["values"]["two_theta_002_deg"] == pytest.approx(23.0, abs=0.1)
    assert payload["units"]["lc_nm"] == "nm"


def test_raman_area_ratio_json(tmp_path, capsys):
    shift = np.arange(800.0, 2000.0, 2.0)
    intensity = 50.0 + pseudo_voigt(shift, 1000.0, 1350.0, 180.0, 1.0) + pseudo_voigt(shift, 1100.0, 1590.0, 90.0, 1.0)
    path = tmp_path / "raman.txt"
    np.savetxt(path, np.column_stack([shift, intensity]))
    assert main(["raman", str(path), "--ratio", "area", "--model", "two-band", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)["values"]
    # (1000 * 180) / (1100 * 90) = 1.818
    assert values["id_ig"] == pytest.approx(1.818, rel=0.01)


@pytest.mark.parametrize(("options", "expected"), [([], 0.095), (["--per", "A/g"], 0.0095), (["--per", "mA/g"], 9.5)])
def test_rate_units(rate_file, capsys, options, expected):
    assert main(["rate", str(rate_file), "--json", *options]) == 0
    assert json.loads(capsys.readouterr().out)["values"]["rate_factor"] == pytest.approx(expected)


def test_rate_file_in_a_per_g(tmp_path, capsys):
    path = tmp_path / "rate_A.csv"
    path.write_text("0.1 300\n1.05 200\n2.0 100\n", encoding="utf-8")
    assert main(["rate", str(path), "--file-current-unit", "A/g", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["values"]["rate_factor"] == pytest.approx(0.095)


def test_plateau_window(tmp_path, capsys):
    path = tmp_path / "discharge.csv"
    path.write_text("capacity,voltage\n0,1.2\n150,0.1\n300,0.01\n", encoding="utf-8")
    assert main(["plateau", str(path), "--json"]) == 0
    # (97.5 + 8.25) / 300 = 0.3525 V, see test_plateau.py
    assert json.loads(capsys.readouterr().out)["values"]["plateau_v"] == pytest.approx(0.3525)


@pytest.mark.parametrize(
    ("method", "text", "fragment"),
    [
        ("rate", "current,capacity\n100,300\n500,abc\n1000,100\n", "line 3: non-numeric"),
        ("rate", "100,300\n500,250\n", "found 2 data row(s)"),
        ("rate", "100,200\n500,250\n1000,300\n", "capacity does not fall"),
        ("plateau", "0,1.0\n100,0.5\n50,0.1\n", "line 3: x must never decrease"),
        ("xrd", "10 1\n20 2\n30 3\n", "found 3 data row(s)"),
    ],
)
def test_bad_files_exit_2_naming_the_file(tmp_path, capsys, method, text, fragment):
    path = tmp_path / "broken_input.csv"
    path.write_text(text, encoding="utf-8")
    assert main([method, str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "broken_input.csv" in captured.err
    assert fragment in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["plateau", str(tmp_path / "absent.csv")]) == 2
    assert "absent.csv: file not found" in capsys.readouterr().err


def test_real_subprocess(rate_file):
    done = subprocess.run(
        [sys.executable, "-m", "nacarbon.process", "rate", str(rate_file), "--json"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["values"]["rate_factor"] == pytest.approx(0.095)


def test_xrd_without_a_100_peak_exits_2_naming_the_file(tmp_path, capsys):
    two_theta = np.arange(5.0, 80.0, 0.05)
    intensity = 100.0 + pseudo_voigt(two_theta, 1000.0, 23.0, 8.0, 0.4)
    intensity = intensity + np.random.default_rng(1).normal(0.0, 10.0, two_theta.size)
    path = tmp_path / "no_100.xy"
    np.savetxt(path, np.column_stack([two_theta, intensity]))
    assert main(["xrd", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no_100.xy" in captured.err
    assert "the (100) peak is not resolved" in captured.err
    assert "3 standard errors" in captured.err
