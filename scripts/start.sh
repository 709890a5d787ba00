#!/usr/bin/env bash
# Starts Nurtura on SQLite (./nurtura.db) with the demo processes loaded.
source "$(dirname "$0")/_venv.sh"
exec nurtura serve --demo "$@"
