"""The script runner's error mapping and the scripts' argument checks (no server started)."""

from __future__ import annotations

import socket

import pytest

from nacarbon.errors import ConfigError
from nacarbon.distributed import free_port, run_script
from nacarbon.errors import ServerError, ServerUnavailable
from nacarbon.distributed.postgres import PostgresServer
from nacarbon.distributed.tuning_workers import tune_in_processes


@pytest.mark.parametrize("args, code", [(["bogus"], 2), (["start", "--db", "x;DROP"], 2), (["start", "--dir"], 2),
                                        (["status", "--dir", "/nonexistent/nacarbon-pg"], 3)])
def test_postgres_script_refuses_bad_calls_with_its_exit_code(args, code):
    with pytest.raises(ServerError, match=f"exit code {code}"):
        run_script("postgres.sh", args)


def test_the_cannot_install_exit_code_raises_server_unavailable():
    # Exit code 2 (usage) stands in for 4 (cannot install): the mapping is what is tested.
    with pytest.raises(ServerUnavailable):
        run_script("postgres.sh", ["bogus"], unavailable_code=2)
    with pytest.raises(ServerError) as err:
        run_script("postgres.sh", ["bogus"], unavailable_code=4)
    assert not isinstance(err.value, ServerUnavailable)


def test_script_errors_mask_passwords():
    with pytest.raises(ServerError) as err:
        run_script("postgres.sh", ["url", "--dir", "/nonexistent/postgresql://u:s3cret@h"])
    assert "s3cret" not in str(err.value) and "u:***@h" in str(err.value)


def test_mlflow_script_refuses_an_unknown_command():
    with pytest.raises(ServerError, match="exit code 2"):
        run_script("mlflow_server.sh", ["restart"])


def test_free_port_can_be_bound():
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


def test_password_of_a_server_not_started_is_an_error():
    with pytest.raises(ServerError, match="not started"):
        PostgresServer().password


@pytest.mark.parametrize("n_workers, storage, key, value", [(0, "sqlite:///x.db", "n_workers", 0),
                                                           (2, None, "search.storage", None)])
def test_tune_in_processes_checks_its_arguments(n_workers, storage, key, value):
    from nacarbon.models.tuning import TuningSettings

    settings = TuningSettings(n_trials=1, timeout=None, storage=storage, sampler=None, pruner=None,
                              inner_splits=2, seed=0)
    with pytest.raises(ConfigError, match=key) as caught:
        tune_in_processes(n_workers, model_cfg=None, space={}, X=None, y=None, groups=None, settings=settings,
                          study_name="x")
    assert (caught.value.key, caught.value.value) == (key, value) and caught.value.allowed
