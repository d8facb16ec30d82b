# LIVE Room: `make run` starts the app on embedded defaults; `make test` runs the suite.
# Both install what they need: Python packages into .venv, and (as root, on Debian) the few
# system packages pip cannot provide; without root they say the one command to run.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-ahead lint seed rebuild bench clean

# $(call need,CHECK:PACKAGE ...): install the Debian packages whose CHECK fails, a command
# on the PATH or (py.NAME) a module Python imports.
define need
@missing=""; for pair in $(1); do check="$${pair%%:*}"; case "$$check" in \
  py.*) $(PYTHON) -c "import $${check#py.}" 2>/dev/null ;; \
  *) command -v "$$check" >/dev/null 2>&1 ;; esac || missing="$$missing $${pair#*:}"; done; \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
    echo "installing$$missing (Debian packages)"; \
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      $$missing >/dev/null; } || exit 1; \
  else echo "missing:$$missing; install with: sudo apt-get install -y$$missing"; exit 1; fi; \
fi
endef

$(STAMP): requirements.txt
	$(call need,$(PYTHON):$(PYTHON))
	$(call need,py.ensurepip:$(PYTHON)-venv)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m liveroom run

# ruff, then every test (the browser tests drive Debian's Chromium through ChromeDriver; the
# fault tests start redis-server processes, a cluster with redis-cli, haproxy, and a PostgreSQL
# cluster of their own: initdb and pg_ctl come with Debian's postgresql, whose pg_ctlcluster
# is on the PATH)
test: $(STAMP)
	$(call need,chromium:chromium chromedriver:chromium-driver redis-server:redis-server \
	  redis-cli:redis-tools pg_ctlcluster:postgresql /usr/sbin/haproxy:haproxy openssl:openssl)
	$(PY) -m ruff check .
	$(PY) -m pytest

# the suite but its browser tests, on embedded defaults, with the clock 400 days ahead for
# this process and every child (the embedded Redis too): a test that depends on the date
# fails here the day it is written
test-ahead: $(STAMP)
	$(call need,faketime:faketime)
	env -u LIVEROOM_REDIS_URL -u LIVEROOM_DATABASE_URL \
	  faketime -f +400d $(PY) -m pytest --ignore=tests/browser -p no:cacheprovider

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
