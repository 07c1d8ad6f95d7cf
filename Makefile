# The two commands: `make run` brings the whole system up, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
# Rasa 3.6.21 needs Python 3.10; pyenv keeps one here, and `python3.10` may also be on PATH.
PYTHON310 ?= $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python3.10)),$(shell command -v python3.10))
VENV := .venv
# TensorFlow's best-fit CPU allocator for every Rasa process these recipes start (bot/launcher.py says why).
export TF_CPU_ALLOCATOR_USE_BFC ?= true
RASA_VENV := .venv-rasa

.PHONY: run test chat train eval eval-seeds eval-compare envs lint unit actions-test integration clean lock \
	bench bench-quick validate-data restore-model demo faults audit screenshots

# The start time goes to the launcher, which prints how long each stage took (environments, training, start).
run:
	@started=$$(date +%s.%N); $(MAKE) --no-print-directory envs && \
		FRONT_DOOR_MAKE_STARTED=$$started $(VENV)/bin/python -m bot run

chat: $(VENV)/.stamp
	$(VENV)/bin/python -m bot chat

train: envs
	$(VENV)/bin/python -m bot train

envs: $(VENV)/.stamp $(RASA_VENV)/.stamp

# Each environment gets the locked pip first (requirements/pip.in says why), then its lock.
$(VENV)/.stamp: requirements/gateway.lock requirements/pip.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "the gateway needs Python >= 3.11"'
	@echo "==> creating $(VENV) (gateway, tools, tests)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements/pip.lock
	$(VENV)/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements/gateway.lock
	touch $@

$(RASA_VENV)/.stamp: requirements/rasa.lock requirements/pip.lock
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install it (pyenv install 3.10) or set PYTHON310"; exit 1; }
	@echo "==> creating $(RASA_VENV) (Rasa 3.6.21, about 2.7 GB; a few minutes)"
	$(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements/pip.lock
	$(RASA_VENV)/bin/pip install -q --disable-pip-version-check --require-hashes -r requirements/rasa.lock
	touch $@

# The lock files are generated, never edited: change requirements/*.in, then `make lock` (scripts/lock.py).
lock: $(VENV)/.stamp
	$(VENV)/bin/python scripts/lock.py

lint: $(VENV)/.stamp
	$(VENV)/bin/ruff check bot tests nlu_components rasa_server actions lexicon scripts bench
	$(VENV)/bin/ruff format --check bot tests nlu_components rasa_server actions lexicon scripts bench
	$(VENV)/bin/mypy
	$(VENV)/bin/hadolint Dockerfile

unit: $(VENV)/.stamp
	$(VENV)/bin/python -m pytest tests/unit -q

actions-test: $(VENV)/.stamp $(RASA_VENV)/.stamp
	REDIS_SERVER=$(abspath $(VENV))/bin/redis-server $(RASA_VENV)/bin/python -m pytest tests/rasa -q -p no:cacheprovider --confcutdir=tests/rasa -W ignore::pytest.PytestConfigWarning

integration: envs
	$(VENV)/bin/python -m bot train
	TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false $(RASA_VENV)/bin/rasa test core --stories tests/stories \
		--model models/current.tar.gz --out reports/core --fail-on-prediction-errors
	$(VENV)/bin/python -m pytest tests/integration -q

# Rasa's own check of the training data and the domain (intents, responses, stories and rules agree).
validate-data: $(RASA_VENV)/.stamp
	TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false $(RASA_VENV)/bin/rasa data validate \
		--domain domain.yml --data nlu_data --config config.yml --fail-on-warnings

test: lint validate-data unit actions-test integration

# Understanding, measured (never a timed test): 5-fold cross-validation on our data, the shared real
# messages, our own message sets (eval/README.md), parse latency. Results under reports/nlu/.
EVAL_MESSAGES ?= ../shared/eval/real_messages.jsonl
eval: envs
	$(VENV)/bin/python -m bot train --force
	mkdir -p reports/nlu
	PYTHONPATH=. $(RASA_VENV)/bin/python scripts/evaluate_nlu.py --model models/current.tar.gz --messages $(EVAL_MESSAGES) --out reports/nlu
	PYTHONPATH=. $(RASA_VENV)/bin/python scripts/evaluate_nlu.py --model models/current.tar.gz --messages eval/boundary_messages.jsonl --out reports/nlu/boundary
	PYTHONPATH=. $(RASA_VENV)/bin/python scripts/evaluate_nlu.py --model models/current.tar.gz --messages eval/dev_messages_2026-12-06.jsonl --out reports/nlu/dev
	PYTHONPATH=. $(RASA_VENV)/bin/python scripts/evaluate_nlu.py --model models/current.tar.gz --messages eval/dev_realstyle_2026-12-06.jsonl --out reports/nlu/realstyle
	PYTHONPATH=. $(RASA_VENV)/bin/python scripts/evaluate_nlu.py --model models/current.tar.gz --messages eval/holdout_realstyle_2026-12-06.jsonl --out reports/nlu/holdout-realstyle
	PYTHONPATH=. $(RASA_VENV)/bin/python scripts/evaluate_nlu.py --model models/current.tar.gz --messages eval/holdout_messages_2026-12-06c.jsonl --out reports/nlu/holdout2
	PYTHONPATH=. $(RASA_VENV)/bin/python scripts/evaluate_nlu.py --model models/current.tar.gz --messages eval/holdout3_messages_2026-12-06.jsonl --out reports/nlu/holdout3
	PYTHONPATH=. $(RASA_VENV)/bin/python scripts/evaluate_nlu.py --model models/current.tar.gz --messages eval/holdout4_messages_2026-12-07.jsonl --out reports/nlu/holdout4
	@# Only a full earlier run is kept for the comparison (git holds just its confusion matrix).
	@if [ -f reports/nlu/cv/cv_predictions.json ]; then rm -rf reports/nlu/previous && mkdir -p reports/nlu/previous && \
		mv reports/nlu/cv reports/nlu/previous/cv; fi
	$(RASA_VENV)/bin/python scripts/cross_validate.py --config config.yml --nlu nlu_data --folds 5 --out reports/nlu/cv
	$(RASA_VENV)/bin/python scripts/summarise_cv.py reports/nlu/cv reports/nlu/summary.json
	@# Per-intent F1 against the previous `make eval`, each difference beside its noise.
	@if [ -f reports/nlu/previous/cv/cv_predictions.json ]; then $(VENV)/bin/python scripts/compare_evaluations.py \
		reports/nlu/previous/cv reports/nlu/cv --out reports/nlu/compare-previous.json; fi
	$(MAKE) eval-conversations

# Whole conversations through the front door (our set and the held-out ones): the share that ends right.
eval-conversations: envs
	$(VENV)/bin/python -m bot train
	@# the complaint form's reading of replies (confirm, cancel, aside), rules alone and with the learned reading
	for set in eval/form_replies_holdout*.jsonl; do \
	  name=$$(basename $$set .jsonl); name=$${name#form_replies_}; name=$${name%_2026-*}; \
	  $(RASA_VENV)/bin/python scripts/evaluate_form_replies.py --replies $$set --out reports/form_replies/$$name.json || exit 1; \
	done
	PYTHONPATH=. $(VENV)/bin/python scripts/evaluate_conversations.py --out reports/conversations/latest.json
	@# every held-out conversation set (eval/README.md says which are still first runs)
	for set in eval/conversations_holdout*.yml; do \
	  name=$$(basename $$set .yml); name=$${name#conversations_}; \
	  PYTHONPATH=. $(VENV)/bin/python scripts/evaluate_conversations.py --conversations $$set --out reports/conversations/$$name.json || exit 1; \
	done

# One training run swings by several points; compare configurations on several seeds, e.g.
#   make eval-seeds SEEDS_OUT=reports/nlu/seeds-before   (change the data or config.yml)
#   make eval-seeds SEEDS_OUT=reports/nlu/seeds-after
#   make eval-compare BASELINE=reports/nlu/seeds-before CANDIDATE=reports/nlu/seeds-after
SEEDS ?= 1 2 3
SEEDS_OUT ?= reports/nlu/seeds
eval-seeds: envs
	$(RASA_VENV)/bin/python scripts/eval_seeds.py --seeds $(SEEDS) --messages $(EVAL_MESSAGES) --out $(SEEDS_OUT)

# Better, worse or within the noise: a paired bootstrap over messages and seed runs.
eval-compare: envs
	@test -n "$(BASELINE)" -a -n "$(CANDIDATE)" || { echo "usage: make eval-compare BASELINE=folder CANDIDATE=folder"; exit 2; }
	$(RASA_VENV)/bin/python scripts/compare_runs.py $(BASELINE) $(CANDIDATE) --out $(CANDIDATE)/compare.json

# Capacity under a WeChat-style rush, with a default `rasa init` and the gateway alone measured in the same
# run (bench/frontdoor.py). Results: bench/results/latest.json and latest.png (bench-quick: quick.json, quick.png).
bench: envs
	$(VENV)/bin/python -m bot train
	$(VENV)/bin/python -m bench.frontdoor

bench-quick: envs
	$(VENV)/bin/python -m bot train
	$(VENV)/bin/python -m bench.frontdoor --quick --out bench/results/quick.json

# The promises under faults (bench/faults.py: a gateway killed, Redis restarted, Rasa and the action server
# down, WeChat's API failing, under a steady load; reports/faults/latest.json) and the parse path fuzzed
# for about ten minutes. A 30-minute soak: make faults FAULTS_ARGS="--soak 1800 --every 180 --out
# reports/faults/soak.json".
FUZZ_EXAMPLES ?= 120000
FAULTS_ARGS ?=
faults: envs
	$(VENV)/bin/python -m bot train
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/python -m pytest tests/unit/test_fuzz_push.py -q -p no:cacheprovider
	SCHEMA_EXAMPLES=300 $(VENV)/bin/python -m pytest tests/unit/test_api_schema.py -q -p no:cacheprovider
	$(VENV)/bin/python -m bench.faults $(FAULTS_ARGS)

# Known vulnerabilities in both lock files (pip-audit, PyPI's advisory data). --strict: a package that
# could not be checked fails the audit rather than passing silently.
audit: $(VENV)/.stamp
	$(VENV)/bin/pip-audit --strict --disable-pip --no-deps --progress-spinner off -r requirements/gateway.lock
	$(VENV)/bin/pip-audit --strict --disable-pip --no-deps --progress-spinner off -r requirements/rasa.lock

# The README's picture: the simulator story (tests/integration/test_simulator.py) in headless Chromium, its two
# tabs saved side by side into docs/images/.
screenshots: envs
	$(VENV)/bin/python -m bot train
	SCREENSHOTS_DIR=docs/images $(VENV)/bin/python -m pytest tests/integration/test_simulator.py -q -k story

# Serve the previous model again (training keeps the one it replaces); a running Rasa loads it at once.
restore-model: $(VENV)/.stamp
	$(VENV)/bin/python -m bot model restore

# A realistic day through the running system (`make run` in another terminal), then its hot-spot report.
demo: $(VENV)/.stamp
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6380/0} $(VENV)/bin/python -m bot demo-data
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6380/0} $(VENV)/bin/python -m bot report --date $$(TZ=Asia/Shanghai date +%F)

clean:
	rm -rf var models reports .pytest_cache .mypy_cache .ruff_cache
