# Everything a new machine needs, from Python 3.11+ and make alone.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
PACKAGES := config ops ui audit accounts standards classification inventory projects budgeting execution reports api
# `make run` is for a developer's machine: DEBUG on unless the caller says otherwise.
DEV := DEBUG=$${DEBUG:-true}
# `make serve` is production: DEBUG off whatever the shell says, SECRET_KEY from
# the environment (the settings refuse to start without one), loopback hosts.
PROD := DEBUG=false ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost}

.PHONY: help install db run serve test lint stop browser messages format bench

help:
	@echo "make run    set up everything and serve the app at http://127.0.0.1:$(PORT)"
	@echo "make serve  production settings under gunicorn on 127.0.0.1:$(PORT) (needs SECRET_KEY)"
	@echo "make test   set up everything and run the whole test suite"
	@echo "make lint   ruff, mypy, bandit and import-linter (the layers)"
	@echo "make stop   stop the embedded PostgreSQL"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Starts the embedded server under var/ unless DATABASE_URL names one.
db: install
	$(MANAGE) embedded_db start

run: install
	$(DEV) $(MANAGE) check_port $(PORT)
	$(DEV) $(MANAGE) embedded_db start
	$(DEV) $(MANAGE) migrate --noinput
	$(DEV) $(MANAGE) seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/  (Ctrl-C to stop the app; make stop ends the database)"
	$(DEV) $$(command -v setsid || true) $(MANAGE) run_worker & worker=$$!; \
		trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
		$(DEV) $(MANAGE) runserver 127.0.0.1:$(PORT)

# Production serving: gunicorn, whitenoise static files, one log line per request.
# Both run the background worker (exports, mail) beside the web server, kept running
# by `manage.py run_worker` (it starts db_worker again when it exits), and stop it
# with it: `make run` in its own session, so Ctrl-C reaches the dev server alone and
# the worker gets one SIGTERM (it finishes the export it is writing); `make serve`
# through gunicorn's hooks (config/gunicorn_conf.py), so gunicorn keeps its signals.
serve: install
	$(PROD) $(MANAGE) check --deploy --fail-level WARNING
	$(PROD) $(MANAGE) check_port $(PORT)
	$(PROD) $(MANAGE) embedded_db start
	$(PROD) $(MANAGE) migrate --noinput
	$(PROD) $(MANAGE) collectstatic --noinput --clear --verbosity 0
	@echo "Serving on http://127.0.0.1:$(PORT)/ with gunicorn (Ctrl-C to stop)"
	$(PROD) RUN_TASK_WORKER=true exec $(BIN)/gunicorn --config python:config.gunicorn_conf --bind 127.0.0.1:$(PORT)

test: install browser
	$(DEV) $(MANAGE) embedded_db start
	# Compiled modules kept (__pycache__, git-ignored) even where the shell says not to:
	# each worker would compile every module and rewrite every test's asserts again,
	# about 8 s of CPU a worker a run.
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $${TEST_PROCESSES:-auto} --dist loadgroup --no-loadscope-reorder

# Benchmarks (not timed tests): each prints a line "BENCH {json}"; figures in docs/performance.md.
# The raw output is kept in var/bench.log as it comes, so a run stopped halfway keeps its figures.
bench: install
	@$(DEV) $(MANAGE) embedded_db start >&2
	@PYTHONUNBUFFERED=1 $(BIN)/pytest benchmarks -q -p no:cacheprovider --create-db | $(BIN)/python benchmarks/collect.py

# Browser tests drive Debian's Chromium; install it when we are root with apt.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "Could not install chromium: browser tests will be skipped (or fail under CI=true)."; \
	else \
		echo "No /usr/bin/chromium and no root apt-get: browser tests will be skipped (or fail under CI=true)."; \
	fi

# bandit: any medium or high finding fails (the low ones are asserts in tests).
lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(DEV) $(BIN)/mypy .
	$(BIN)/bandit --recursive --severity-level medium --quiet $(PACKAGES)
	$(BIN)/lint-imports
	$(DEV) $(MANAGE) check_messages

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Extract strings into locale/*/django.po, then compile to the committed .mo files.
messages: install
	$(DEV) $(MANAGE) makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(DEV) $(MANAGE) compilemessages --locale zh_Hans --ignore '.venv/*'

stop:
	@if [ -x $(BIN)/python ]; then $(DEV) $(MANAGE) embedded_db stop; else echo "Nothing installed, nothing to stop."; fi
