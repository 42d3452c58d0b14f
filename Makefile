# journeykit: every target sets up .venv first (Python 3.10+ and the package registries).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CDNOW := ../shared/data/cdnow/CDNOW_master.txt
export MPLBACKEND := Agg

.PHONY: setup lab test bench datasets reports lock clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench: setup
	$(BIN)/python benchmarks/run.py

datasets: setup
	$(BIN)/journeykit datasets --out datasets $(if $(wildcard $(CDNOW)),--cdnow $(CDNOW))

reports: setup
	$(BIN)/journeykit report notebooks/*.ipynb --out reports

# Re-pin every dependency (with the dev and spark extras) from the current releases.
lock:
	rm -rf .venv-lock && $(PY) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[dev,spark]'
	.venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^journeykit' > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
