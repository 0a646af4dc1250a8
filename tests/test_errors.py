"""Project errors survive pickling, so a failure in a worker process reaches the user as itself;
every command turns them into one ``error:`` line through the one exit of :mod:`nacarbon.cli`."""

from __future__ import annotations

import ast
import logging
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from nacarbon import errors
from nacarbon.cli import EXIT_ERROR, as_user_error, composition_error, error_exit, exits_on_error
from nacarbon.errors import DataValidationError
from nacarbon.paths import project_root

PROBLEM = [{"row": 7, "field": "la_nm", "value": "-1", "rule": "la_range"}]
CASES = [errors.NacarbonError("plain"), errors.ConfigError("cv.n_splits=1"), errors.ProcessingError("xrd"),
         errors.ConfigError("too few papers", key="cv.n_splits", value=1, allowed="an integer >= 2"),
         errors.RegistryError("alias"), errors.StoreError("server"), DataValidationError("d.csv", PROBLEM),
         errors.ServerError("port 5000 is taken"), errors.ServerUnavailable("no PostgreSQL"),
         errors.PipelineError("2 of 9 training jobs failed")]


@pytest.mark.parametrize("err", CASES, ids=lambda e: type(e).__name__)
def test_every_error_class_round_trips(err):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err) and back.args == err.args
    assert vars(back) == vars(err)  # the structured fields (key, value, allowed, problems) too


def test_a_config_error_names_key_value_and_what_is_allowed_and_is_a_value_error():
    err = errors.ConfigError("unknown splitter", key="cv.name", value="loo", allowed=["group", "holdout"])
    assert str(err) == "cv.name='loo': unknown splitter (allowed: ['group', 'holdout'])"
    assert (err.key, err.value, err.allowed) == ("cv.name", "loo", ["group", "holdout"])
    assert isinstance(err, ValueError) and isinstance(err, errors.NacarbonError)
    with pytest.raises(ValueError, match="cv.name"):  # what scikit-learn-style callers catch
        raise err
    assert str(errors.ConfigError("plain words")) == "plain words" and errors.ConfigError("x").key is None


def test_every_error_class_is_covered():
    classes = {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.NacarbonError)}
    assert classes == {type(e) for e in CASES}


def _bad_rows(path: str) -> None:
    raise DataValidationError(path, PROBLEM)


@exits_on_error
def _in_worker(path: str) -> int:
    with ProcessPoolExecutor(max_workers=1) as pool:
        pool.submit(_bad_rows, path).result()
    return 0


def test_error_raised_in_a_process_pool_reaches_the_user_as_one_message(capsys):
    assert _in_worker("data/x.csv") == EXIT_ERROR
    err = capsys.readouterr().err
    assert err == "error: data/x.csv: row 7, field 'la_nm': value '-1' breaks rule: la_range\n"


def test_several_problems_are_listed_under_one_error_line():
    err = DataValidationError("d.csv", PROBLEM + [{"row": None, "field": "lc_nm", "value": None, "rule": "missing"}])
    assert str(err).splitlines() == ["d.csv: 2 problem(s) found",
                                     "  row 7, field 'la_nm': value '-1' breaks rule: la_range",
                                     "  file, field 'lc_nm': missing"]


def test_a_problem_of_the_whole_file_names_no_field():
    # It once read "file, field 'None': value None breaks rule: file does not exist".
    err = DataValidationError("gone.csv", [{"row": None, "field": None, "value": None, "rule": "file does not exist"}])
    assert str(err) == "gone.csv: file does not exist"


def test_the_one_exit_prints_one_masked_line_and_logs_it_to_the_file_only(capsys, caplog):
    with caplog.at_level(logging.ERROR, logger="train"):
        code = error_exit(errors.StoreError("postgresql://u:s3cret@db/x is down\n"), logger="train")
    assert code == EXIT_ERROR
    assert capsys.readouterr().err == "error: postgresql://u:***@db/x is down\n"
    [record] = caplog.records
    assert record.getMessage() == "postgresql://u:***@db/x is down" and record.console is False


def test_a_bug_keeps_its_traceback():
    @exits_on_error
    def broken(argv=None) -> int:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        broken()


def test_a_required_value_nobody_gave_is_a_config_error_of_its_key():
    from omegaconf import OmegaConf
    from omegaconf.errors import MissingMandatoryValue

    with pytest.raises(MissingMandatoryValue) as caught:
        OmegaConf.create({"input": "???"}).input
    err = as_user_error(caught.value)
    assert isinstance(err, errors.ConfigError) and (err.key, err.value) == ("input", "???")
    assert as_user_error(KeyError("x")) is None


NOT_FOUND = ("In 'train': Could not find 'model/xgbost'\n\nAvailable options in 'model':\n\tdummy\n\tridge\n"
             "Config search path:\n\tprovider=hydra, path=pkg://hydra.conf\n\n"
             "Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.\n")
NOT_A_KEY = ("Could not override 'cv.nsplits'.\nTo append to your config use +cv.nsplits=3\n"
             "Key 'nsplits' is not in struct\n    full_key: cv.nsplits\n    object_type=dict\n")
YAML = ('Traceback (most recent call last):\n  File "x.py", line 1\nyaml.parser.ParserError: while parsing a flow '
        'sequence\n  in "broken.yaml", line 4, column 10\nexpected \',\' or \']\', but got \':\'\n')


@pytest.mark.parametrize(("text", "argv", "key", "value", "allowed", "message"), [
    (NOT_FOUND, ["model=xgbost"], "model", "xgbost", "dummy, ridge",
     "model='xgbost': In 'train': Could not find 'model/xgbost' (allowed: dummy, ridge)"),
    (NOT_A_KEY, ["seed=1", "cv.nsplits=3"], "cv.nsplits", "3", None,
     "cv.nsplits='3': this command has no such setting (a leading + would add it as a new key)"),
    ("no viable alternative at input '[1,'\n", ["seed=[1,"], "seed", "[1,", None,
     "seed='[1,': the override grammar rejects it: no viable alternative at input '[1,'"),
    (YAML, [], None, None, None, "YAML syntax error: while parsing a flow sequence in \"broken.yaml\", line 4, "
                                 "column 10; expected ',' or ']', but got ':'"),
], ids=["unknown-option", "unknown-key", "override-syntax", "yaml-syntax"])
def test_a_config_that_does_not_compose_is_one_config_error(text, argv, key, value, allowed, message):
    err = composition_error(text, argv)
    assert (err.key, err.value, err.allowed, str(err)) == (key, value, allowed, message)
    back = pickle.loads(pickle.dumps(err))
    assert vars(back) == vars(err) and str(back) == message


def test_errors_are_defined_in_errors_py_only():
    """``distributed/`` (servers, tuning workers) and every other package raise the classes of errors.py."""
    src = project_root() / "src" / "nacarbon"
    found = []
    for path in sorted(src.rglob("*.py")):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", getattr(b, "attr", "")).endswith(
                    ("Error", "Exception", "Unavailable")) for b in node.bases):
                found.append(f"{path.relative_to(src)}:{node.name}")
    assert found == []


def test_a_command_composing_a_config_the_user_broke_ends_in_one_config_error(monkeypatch, capsys):
    from nacarbon.commands.compose import compose_config

    monkeypatch.setattr("sys.argv", ["prog", "--no-log", "bogus=1"])

    @exits_on_error
    def main() -> int:   # as `python -m nacarbon.commands.figures ... bogus=1` composes its configs
        compose_config("analyze", ["bogus=1"])
        return 0

    assert main() == EXIT_ERROR
    assert capsys.readouterr().err == ("error: bogus='1': this command has no such setting "
                                       "(a leading + would add it as a new key)\n")
