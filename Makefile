# The two commands of the README's Quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/duban: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

.PHONY: setup system-deps test test-pg demo
setup: $(BIN)/duban

system-deps:
	bash scripts/system-deps.sh

test: setup system-deps
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy bot
	# both suites run even when the first fails; either failing fails the target
	$(BIN)/python -m pytest -q; status=$$?; $(MAKE) test-pg || status=1; exit $$status

# The storage, e2e and channel scenario suites again, on a throw-away PostgreSQL server (skipped, saying why,
# where PostgreSQL is not installed).
test-pg: setup system-deps
	DUBAN_TEST_BACKEND=postgresql $(BIN)/python -m pytest -q tests/storage tests/e2e tests/scenarios

demo: setup
	$(BIN)/duban demo
