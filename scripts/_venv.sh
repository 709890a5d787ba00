# Sourced by the README's commands: makes .venv and installs Nurtura with its dev tools
# when missing or when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if ! command -v "$PY" >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
  PY=python3
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && "$PY" -m venv .venv; }
fi
STAMP=.venv/.nurtura-installed
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  # pip's notes about this machine's optional extra indexes are noise: keep real errors
  .venv/bin/python -m pip install -q --upgrade pip 2> >(grep -v "is ignored" >&2) >/dev/null
  .venv/bin/python -m pip install -q -e '.[dev]' 2> >(grep -v "is ignored" >&2)
  touch "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
