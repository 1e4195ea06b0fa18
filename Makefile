# The two commands of the README's Quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/duban: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

.PHONY: setup system-deps test demo
setup: $(BIN)/duban

system-deps:
	bash scripts/system-deps.sh

test: setup system-deps
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy bot
	$(BIN)/python -m pytest -q

demo: setup
	$(BIN)/duban demo
