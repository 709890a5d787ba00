#!/usr/bin/env bash
# The whole test suite: ruff, mypy --strict on the package, pytest.
# `scripts/test.sh --quick` skips the tests marked slow.
source "$(dirname "$0")/_venv.sh"
QUICK=()
if [ "${1:-}" = "--quick" ]; then QUICK=(-m "not slow"); shift; fi
echo "== ruff"; ruff check nurtura tests bench
echo "== mypy --strict"; mypy nurtura
echo "== pytest"; pytest -n 2 -q "${QUICK[@]}" "$@"
