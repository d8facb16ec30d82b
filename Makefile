# LIVE Room: `make run` starts the app on embedded defaults; `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint seed rebuild bench clean

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (Debian: apt-get install -y python3 python3-venv)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m liveroom run

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

seed: $(STAMP)
	$(PY) -m liveroom seed

rebuild: $(STAMP)
	$(PY) -m liveroom rebuild

bench: $(STAMP)
	$(PY) bench/events.py
	$(PY) bench/open311.py
	$(PY) bench/locations.py
	$(PY) bench/screen.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
