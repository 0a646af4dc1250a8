"""Project errors survive pickling, so a failure in a worker process reaches the user as itself."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from nacarbon import errors
from nacarbon.cli import EXIT_ERROR, run_or_exit
from nacarbon.errors import DataValidationError

PROBLEM = [{"row": 7, "field": "la_nm", "value": "-1", "rule": "la_range"}]
CASES = [errors.NacarbonError("plain"), errors.ConfigError("cv.n_splits=1"), errors.ProcessingError("xrd"),
         errors.ConfigError("too few papers", key="cv.n_splits", value=1, allowed="an integer >= 2"),
         errors.RegistryError("alias"), errors.StoreError("server"), DataValidationError("d.csv", PROBLEM),
         errors.ServerError("port 5000 is taken"), errors.ServerUnavailable("no PostgreSQL")]


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


def _in_worker(path: str) -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        pool.submit(_bad_rows, path).result()


def test_error_raised_in_a_process_pool_reaches_the_user_as_one_message(capsys):
    with pytest.raises(SystemExit) as done:
        run_or_exit(_in_worker, "data/x.csv")
    err = capsys.readouterr().err
    assert done.value.code == EXIT_ERROR
    assert err.startswith("error: data/x.csv: 1 problem(s) found") and "row 7, field 'la_nm'" in err
    assert "BrokenProcessPool" not in err and "Traceback" not in err
