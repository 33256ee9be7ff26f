# Two entry points, both from a fresh clone: `make demo` and `make test`.
# The CPU build of torch is installed first so that the package's `torch` requirement
# is already satisfied and pip never pulls a multi-GB CUDA build.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_CPU ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_CPU)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/lqrppg demo

test: $(STAMP)
	$(BIN)/ruff check lqrppg tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check lqrppg tests benchmarks
	$(BIN)/ruff format --check lqrppg tests benchmarks

# The documentation site (mkdocs-material + mkdocstrings) into site/; warnings are errors.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
