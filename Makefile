# POS收款诊断助手 — every command a user, a developer or CI needs.
#   make run    start the assistant (trains first if no current model)
#   make test   run the whole test suite (installs what it needs)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONPATH := $(CURDIR)

.PHONY: setup handbook test test-core run clean

setup:
	@bash scripts/setup.sh

handbook: setup
	$(PY) -m pos_expert.handbook

test-core: setup
	$(PY) -m pytest -q tests/test_knowledge_base.py tests/test_engine.py tests/test_content_lint.py tests/test_handbook.py

test: setup
	$(PY) -m pytest -q tests

clean:
	rm -rf build results .pytest_cache
