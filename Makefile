# The two commands: `make run` brings the whole system up, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
# Rasa 3.6.21 needs Python 3.10; pyenv keeps one here, and `python3.10` may also be on PATH.
PYTHON310 ?= $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python3.10)),$(shell command -v python3.10))
VENV := .venv
RASA_VENV := .venv-rasa

.PHONY: run test chat train envs lint unit actions-test integration clean

run: envs
	$(VENV)/bin/python -m bot run

chat: $(VENV)/.stamp
	$(VENV)/bin/python -m bot chat

train: envs
	$(VENV)/bin/python -m bot train

envs: $(VENV)/.stamp $(RASA_VENV)/.stamp

$(VENV)/.stamp: requirements/gateway.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "the gateway needs Python >= 3.11"'
	@echo "==> creating $(VENV) (gateway, tools, tests)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements/gateway.lock
	touch $@

$(RASA_VENV)/.stamp: requirements/rasa.lock
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install it (pyenv install 3.10) or set PYTHON310"; exit 1; }
	@echo "==> creating $(RASA_VENV) (Rasa 3.6.21, about 2.7 GB; a few minutes)"
	$(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/rasa.lock
	touch $@

lint: $(VENV)/.stamp
	$(VENV)/bin/ruff check bot tests
	$(VENV)/bin/ruff format --check bot tests
	$(VENV)/bin/mypy

unit: $(VENV)/.stamp
	$(VENV)/bin/python -m pytest tests/unit -q

actions-test: $(RASA_VENV)/.stamp
	$(RASA_VENV)/bin/python -m pytest tests/actions -q -p no:cacheprovider --confcutdir=tests/actions -W ignore::pytest.PytestConfigWarning

integration: envs
	$(VENV)/bin/python -m bot train
	$(VENV)/bin/python -m pytest tests/integration -q

test: lint unit actions-test integration

clean:
	rm -rf var models reports .pytest_cache .mypy_cache .ruff_cache
