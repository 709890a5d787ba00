#!/usr/bin/env bash
# Starts Nurtura on SQLite (./nurtura.db): the HTTP API, the editor and a worker, with the
# demo processes loaded. Builds the editor first if its build is missing.
source "$(dirname "$0")/_venv.sh"
source "$(dirname "$0")/_web.sh"
web_build
exec nurtura serve --demo "$@"
