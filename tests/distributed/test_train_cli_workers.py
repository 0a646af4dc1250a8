"""Three ``python -m train`` processes share nested studies in PostgreSQL and log to one MLflow
server; the database password shows up nowhere: params, tags, config.yaml, logs, stores."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from mlflow.tracking import MlflowClient

from nacarbon.paths import project_root
from nacarbon.commands.train import run

pytestmark = pytest.mark.server

N_WORKERS = 3
N_TRIALS = 4
N_OUTER = 3  # outer folds: 3 studies + the final one per worker
SEED = 7  # only these runs use it, so their studies are told apart by name
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


@pytest.fixture(scope="module")
def cli_runs(postgres, mlflow_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-workers")
    # The URL reaches the workers through the environment: a literal search.storage=... would be
    # written verbatim into Hydra's .hydra/overrides.yaml and config.yaml.
    env = {**os.environ, "NACARBON_OPTUNA_STORAGE": postgres.url, "MLFLOW_DISABLE_TELEMETRY": "true"}
    procs = []
    for k in range(N_WORKERS):
        cmd = [sys.executable, "-m", "train", "target=ice", "setup=paper", "model=ridge", "search=optuna",
               f"search.n_trials={N_TRIALS}", "search.storage=${oc.env:NACARBON_OPTUNA_STORAGE}",
               f"cv.n_splits={N_OUTER}", f"seed={SEED}", f"tracking.uri={mlflow_server.url}",
               f"paths.mlruns_dir={tmp / 'mlruns'}",
               f"paths.output_dir={tmp / 'outputs'}", f"hydra.run.dir={tmp / 'outputs' / f'worker{k}'}",
               "progress=false", f"run_name=cli-worker-{k}"]
        # Files, not pipes: a worker must never stall on a full pipe while holding a RUNNING trial.
        with open(tmp / f"worker{k}.out", "w") as out, open(tmp / f"worker{k}.err", "w") as err:
            procs.append(subprocess.Popen(cmd, cwd=project_root(), env=env, stdout=out, stderr=err))
    codes = [p.wait() for p in procs]
    outputs = [((tmp / f"worker{k}.out").read_text(), (tmp / f"worker{k}.err").read_text()) for k in range(N_WORKERS)]
    for k, code in enumerate(codes):
        assert code == 0, f"worker {k} failed:\n{outputs[k][1][-3000:]}"
    return outputs, tmp


def study_names(url: str) -> list[str]:
    return [n for n in optuna.get_all_study_names(url) if f"-ice-ridge-default-group-s{SEED}-" in n]


def test_every_nested_study_has_n_trials_none_lost_or_duplicated(cli_runs, postgres):
    names = study_names(postgres.url)
    # <prefix>-<stage>-<identity hash>: one study per outer fold and one final study.
    assert sorted(n.rsplit("-", 2)[1] for n in names) == ["final"] + [f"outer{k}" for k in range(N_OUTER)]
    for name in names:
        trials = optuna.load_study(study_name=name, storage=postgres.url).trials
        assert sorted(t.number for t in trials) == list(range(len(trials))), name
        assert all(t.state in FINISHED for t in trials), name
        # Up to N_WORKERS - 1 trials past n_trials (MaxTrialsCallback counts after each trial).
        assert N_TRIALS <= len(trials) <= N_TRIALS + N_WORKERS - 1, name


def test_each_worker_logged_its_run_to_the_server(cli_runs, mlflow_server):
    client = MlflowClient(mlflow_server.url)
    runs = client.search_runs([client.get_experiment_by_name("nacarbon-seed").experiment_id],
                              filter_string="attributes.run_name LIKE 'cli-worker-%'")
    assert sorted(r.info.run_name for r in runs) == [f"cli-worker-{k}" for k in range(N_WORKERS)]
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert {r.data.params["search_n_trials"] for r in runs} == {str(N_TRIALS)}


def logged_text(client: MlflowClient, run_id: str, dst: Path) -> str:
    """Params, tags and the logged config.yaml of one run, as one string."""
    r = client.get_run(run_id)
    config = Path(client.download_artifacts(run_id, "config.yaml", dst_path=str(dst))).read_text()
    return "\n".join([*map(str, r.data.params.items()), *map(str, r.data.tags.items()), config])


def files_text(*roots: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for root in roots if root.exists()
                     for p in root.rglob("*") if p.is_file())


def test_password_absent_from_cli_runs_logs_and_stores(cli_runs, postgres, mlflow_server, tmp_path):
    outputs, tmp = cli_runs
    password = postgres.password
    assert len(password) >= 16
    client = MlflowClient(mlflow_server.url)
    runs = client.search_runs([client.get_experiment_by_name("nacarbon-seed").experiment_id],
                              filter_string="attributes.run_name LIKE 'cli-worker-%'")
    for r in runs:
        text = logged_text(client, r.info.run_id, tmp_path / r.info.run_id)
        assert "postgresql+psycopg2://nacarbon:***@127.0.0.1" in text  # the storage is recorded, masked
        assert password not in text
    for out, err in outputs:
        assert password not in out and password not in err
    # Hydra's output folders (train.log, .hydra/*.yaml), the server's log, database and artifacts.
    assert password not in files_text(tmp / "outputs", mlflow_server.log_path.parent, mlflow_server.artifacts_dir)


def test_password_given_literally_is_masked_in_mlflow_and_logs(postgres, mlflow_server, make_cfg, caplog,
                                                               tmp_path):
    password = postgres.password
    cfg = make_cfg("target=ice", "model=ridge", "search=optuna", "search.n_trials=2", f"seed={SEED + 1}",
                   f"search.storage={postgres.url}", f"tracking.uri={mlflow_server.url}")
    assert password in cfg.search.storage  # the literal URL really is in the config
    with caplog.at_level(logging.DEBUG):
        result = run(cfg)
    client = MlflowClient(mlflow_server.url)
    text = logged_text(client, result.run_id, tmp_path)
    assert "search_storage" in text and password not in text
    assert password not in caplog.text
