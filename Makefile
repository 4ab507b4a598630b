# entra-sync-upgrade: every entry point sets itself up (a fresh machine needs nothing but a Python >= 3.12).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
# WinRM to the lab is loopback; never send it through a proxy the machine may have configured.
export NO_PROXY := 127.0.0.1,localhost
export no_proxy := 127.0.0.1,localhost
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# pytest-xdist: each worker runs whole test files (their module fixtures share state) on a lab of its own
# (tests/labworkers.py); `make test PYTEST_WORKERS=1` runs on one worker, plain `pytest` on none. Three workers
# were slower on 2 cores (fresh clone, .ci/run: 16 min 31 s against 15 min 6 s with two).
PYTEST_WORKERS ?= 2
XDIST := -n $(PYTEST_WORKERS) --dist loadfile

.PHONY: help setup test unit integration lint sanity demo bench lab-up lab-down lab-status lab-reset clean

help:
	@echo "make demo      lab up + the main job on the built-in lab"
	@echo "make test      everything CI runs (sets itself up)"
	@echo "make lint      ruff, yamllint, ansible-lint, ansible-test sanity (docs/quality-gates.md)"
	@echo "make bench     every benchmark and the plot (docs/performance.md); BENCH_ARGS=--quick for CI size"
	@echo "make lab-up | lab-down | lab-status | lab-reset"

COLLECTION_LINK := .ansible/collections/ansible_collections/entra/sync_upgrade

setup: $(STAMP) $(COLLECTION_LINK)

# the repository is the collection entra.sync_upgrade; Ansible finds it through this link
$(COLLECTION_LINK):
	@mkdir -p $(dir $@) && ln -sfn ../../../.. $@

$(STAMP): requirements.txt
	@py=$$(scripts/find-python.sh) || exit 1; \
	  if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	    echo "creating $(VENV) with $$py"; rm -rf $(VENV); "$$py" -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# lint runs beside the tests (the tests' workers wait on WinRM and polls often enough to leave it a core's share);
# its output follows theirs, and either failing fails the target
test: setup
	@log=$$(mktemp); $(MAKE) --no-print-directory lint > $$log 2>&1 & lint=$$!; \
	  echo "make lint: beside the tests, its output after theirs"; \
	  $(BIN)/python -m pytest $(XDIST) --durations=20; tests=$$?; \
	  wait $$lint; linted=$$?; echo "== make lint (exit $$linted)"; cat $$log; rm -f $$log; \
	  [ $$tests -eq 0 ] && [ $$linted -eq 0 ]

unit: setup
	$(BIN)/python -m pytest $(XDIST) tests/unit

integration: setup
	$(BIN)/python -m pytest $(XDIST) tests/integration

# ansible-lint takes the whole project (.ansible-lint excludes what is not Ansible content); the offline
# ansible-test sanity tests run beside it, their output shown after it (docs/quality-gates.md)
lint: setup
	$(BIN)/ruff check lab plugins tests benchmarks scripts
	$(BIN)/yamllint -s .
	@log=$$(mktemp); scripts/sanity.sh > $$log 2>&1 & sanity=$$!; \
	  echo "$(BIN)/ansible-lint  (scripts/sanity.sh beside it)"; $(BIN)/ansible-lint; lint=$$?; \
	  wait $$sanity; rc=$$?; cat $$log; rm -f $$log; [ $$lint -eq 0 ] && [ $$rc -eq 0 ]

sanity: setup
	scripts/sanity.sh

demo: setup lab-up
	@scripts/demo.sh

# the benchmarks' own pinned dependencies (the plot), on top of the project's
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): benchmarks/requirements.txt $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r benchmarks/requirements.txt
	@touch $@

bench: setup $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

lab-up: setup
	$(BIN)/python -m lab up

lab-down: setup
	$(BIN)/python -m lab down

lab-status: setup
	$(BIN)/python -m lab status

lab-reset: setup
	$(BIN)/python -m lab reset

clean: lab-down
	rm -rf .lab reports
