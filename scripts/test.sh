#!/usr/bin/env bash
# The whole test suite: ruff, mypy --strict on the package, the editor's Vitest tests and
# type check, and pytest (engine, store on SQLite and PostgreSQL, API, browser tests).
# `scripts/test.sh --quick` skips the tests marked slow.
source "$(dirname "$0")/_venv.sh"
source "$(dirname "$0")/_web.sh"
QUICK=()
if [ "${1:-}" = "--quick" ]; then QUICK=(-m "not slow"); shift; fi
echo "== ruff"; ruff check nurtura tests bench
echo "== mypy --strict"; mypy nurtura
echo "== editor: typecheck and vitest"
web_deps
(cd web && npm run --silent typecheck && npx vitest run --reporter=dot)
echo "== pytest"; pytest -n 2 -q "${QUICK[@]}" "$@"
