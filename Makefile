# nacarbon: every target installs what it needs from requirements.lock first.
PY      ?= python3.11
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
UV_VER  := 0.13.9
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR := false
# Let Python cache bytecode in .venv: without it every test process recompiles pandas, sklearn ...
unexport PYTHONDONTWRITEBYTECODE
# Fits on ~50 rows gain nothing from threads (HistGradientBoosting gets 10x slower with 2).
export OMP_NUM_THREADS := 1

.PHONY: help venv run test test-slow test-slow-only validate train ui lock clean server server-stop sweep

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VER)"
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP) ## create/refresh .venv from requirements.lock

run: $(STAMP) ## main job: validate data, train and tune every target, promote, screen, report
	$(BIN)/python -m nacarbon.pipeline

# The fast suite on every core (pytest-xdist; TEST_WORKERS=0 runs it in one process). loadscope keeps
# a module's tests on one worker, so a module's trained store is built once.
TEST_WORKERS ?= auto

test: $(STAMP) ## fast test suite (skips tests marked slow), on every core
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

test-slow: $(STAMP) ## the whole suite, slow tests included
	$(BIN)/python -m pytest -m ""

test-slow-only: $(STAMP) ## only the tests marked slow (CI runs make test, then this)
	$(BIN)/python -m pytest -m slow

validate: $(STAMP) ## validate the shipped databases
	$(BIN)/python -m nacarbon.db validate

ui: $(STAMP) ## MLflow UI on 127.0.0.1 for the project store under mlruns/
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlruns/mlflow.db --host 127.0.0.1 --port 5000

sweep: $(STAMP) ## every model family x 4 seed targets (the paper's setup, defaults, no tuning, 5x5 grouped CV, 2 jobs at once), then the comparison table
	$(BIN)/python -m train -m target=capacity,ice,rate,plateau_voltage setup=paper 'model=glob(*)' search=none cv=repeated progress=false hydra/launcher=joblib hydra.launcher.n_jobs=2
	$(BIN)/python -m compare runs_search=none cv=repeated

server: $(STAMP) ## MLflow tracking server on 127.0.0.1:5000 (PORT=... to change; stop with make server-stop)
	MLFLOW=$(BIN)/mlflow scripts/mlflow_server.sh start

server-stop: ## stop the tracking server started by make server
	scripts/mlflow_server.sh stop

lock: ## re-resolve requirements.in into requirements.lock
	$(BIN)/uv pip compile requirements.in --python-version 3.11 -o requirements.lock

clean: ## remove the venv and local run stores
	rm -rf $(VENV) mlruns
