"""conf/target/*.yaml: read in one module only, every file states every key, a missing key is named."""

from __future__ import annotations

import ast
from dataclasses import asdict
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nacarbon.errors import ConfigError
from nacarbon.targets import KEYS, TargetSpec, load_target, target_names, targets_on_dataset
from tests.conftest import CONF, ROOT, compose_config

TARGET_FILES = sorted((CONF / "target").glob("*.yaml"))
DATASETS = {p.stem for p in (CONF / "dataset").glob("*.yaml")}


def target_readers(src: Path) -> set[str]:
    """Modules under ``src`` with an expression joining the strings ``conf`` and ``target`` (a path to the files)."""
    found = set()
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, (ast.Call, ast.BinOp, ast.JoinedStr)):
                continue
            words = {n.value.strip("/") for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            if "conf/target" in words or {"conf", "target"} <= words:
                found.add(path.relative_to(src).as_posix())
    return found


def test_only_one_module_reads_the_target_files():
    assert target_readers(ROOT / "src") == {"nacarbon/targets.py"}


@pytest.mark.parametrize("code", ['p = root / "conf" / "target" / f"{name}.yaml"\n',
                                  'p = Path(root, "conf", "target", name)\n', 'p = f"conf/target/{name}.yaml"\n'])
def test_a_second_reader_is_caught(tmp_path, code):
    (tmp_path / "nacarbon").mkdir()
    (tmp_path / "nacarbon" / "second.py").write_text(code)
    assert target_readers(tmp_path) == {"nacarbon/second.py"}


@pytest.mark.parametrize("path", TARGET_FILES, ids=[p.stem for p in TARGET_FILES])
def test_every_target_file_states_every_key(path):
    stated = OmegaConf.load(path)
    assert set(KEYS) <= set(stated), f"{path.name} lacks {set(KEYS) - set(stated)}"
    spec = load_target(path.stem)
    assert spec.name == path.stem and spec.transform in {"none", "log"}
    assert spec.datasets and set(spec.datasets) <= DATASETS
    # What training composes (cfg.target) is the same spec as the file read on its own.
    assert TargetSpec.from_config(compose_config("train", [f"target={path.stem}"]).target) == spec


@pytest.mark.parametrize("key", KEYS)
def test_a_missing_key_names_the_file_and_the_key(key):
    node = {k: v for k, v in asdict(load_target("rate")).items() if k != key}
    with pytest.raises(ConfigError, match=f"target.{key}=None: conf/target/rate.yaml does not state it") as err:
        TargetSpec.from_config(node, source="conf/target/rate.yaml")
    assert isinstance(err.value, ValueError) and err.value.key == f"target.{key}"


def test_a_command_line_value_of_the_wrong_type_is_refused():
    from nacarbon.settings import validate_settings

    with pytest.raises(ConfigError, match="target.higher_is_better='maybe'.*true or false"):
        validate_settings(compose_config("train", ["target=ice", "target.higher_is_better=maybe"]))
    with pytest.raises(ConfigError, match="target.filter.electrolyte='ester'"):
        validate_settings(compose_config("train", ["target=rate", "target.filter.electrolyte=ester"]))


def test_filters_are_plain_lists_and_empty_when_every_row_counts():
    assert load_target("rate").filter == {"electrolyte": ["ester"]}
    assert load_target("ice").filter == {}


def test_unknown_target_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown target 'density'.*allowed.*plateau_capacity"):
        load_target("density")
    assert target_names() == [p.stem for p in TARGET_FILES]


def test_targets_a_dataset_lacks_are_skipped_with_a_note():
    specs, notes = targets_on_dataset(["capacity", "rate", "plateau_voltage"], "literature")
    assert [s.name for s in specs] == ["capacity"]
    assert specs[0] == TargetSpec("capacity", "capacity_mah_g", "Reversible capacity", "mAh/g", True,
                                  ("seed", "literature", "merged"), "none", {}, {"trend": "never"})
    assert notes == ["rate: dataset 'literature' has no rate_factor; skipped",
                     "plateau_voltage: dataset 'literature' has no plateau_v; skipped"]


def test_an_unknown_lab_trend_mode_is_refused_naming_the_key():
    node = OmegaConf.load(TARGET_FILES[0])
    node.lab_calibration.trend = "off"
    with pytest.raises(ConfigError, match="lab_calibration.trend"):
        TargetSpec.from_config(node)
