# journeykit: every target sets up .venv first (Python 3.10+ and the package registries).
# No environment variable is exported to the targets' children: `make lab` must start
# kernels with matplotlib's inline backend, so only the test commands set MPLBACKEND.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CDNOW := ../shared/data/cdnow/CDNOW_master.txt
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup lab test e2e bench datasets reports lock clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Saved notebooks keep their outputs on disk, but git stores them stripped (nbstripout as
# a clean filter, declared in .gitattributes), so opening a notebook in Lab never dirties
# the repository or breaks the stored-clean test.
setup: $(STAMP)
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean "$(abspath $(BIN))/nbstripout --keep-id --extra-keys metadata.language_info"; \
	  git config filter.nbstripout.smudge cat; \
	  git config diff.ipynb.textconv "$(abspath $(BIN))/nbstripout -t"; \
	fi

lab: setup
	env -u MPLBACKEND $(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MPLBACKEND=Agg JOURNEYKIT_PROGRESS=off $(BIN)/pytest

# JupyterLab in headless Chromium: every notebook run, every explorer driven (tests/e2e).
e2e: setup
	env -u MPLBACKEND JOURNEYKIT_CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests/e2e -p no:nbmake --override-ini addopts= -q

bench: setup
	$(BIN)/python benchmarks/run.py

datasets: setup
	$(BIN)/journeykit datasets --out datasets $(if $(wildcard $(CDNOW)),--cdnow $(CDNOW))

reports: setup
	env -u MPLBACKEND $(BIN)/journeykit report notebooks/*.ipynb --out reports

# Re-pin every dependency (with the dev and spark extras) from the current releases.
lock:
	rm -rf .venv-lock && $(PY) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[dev,spark]'
	.venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^journeykit' > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
