# Sourced by the README's commands: installs the editor's npm packages when missing or when
# the lock file changed, and builds it into nurtura/api/static when the build is missing
# or older than its sources. Needs Node.js 20.19+ and npm (apt's nodejs/npm otherwise).
web_deps() {
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
  if [ ! -d "$root/web/node_modules" ] || [ "$root/web/package-lock.json" -nt "$root/web/node_modules/.package-lock.json" ]; then
    (cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
web_build() {
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local index="$root/nurtura/api/static/index.html"
  if [ ! -f "$index" ] || [ -n "$(find "$root/web/src" "$root/web/index.html" "$root/web/package.json" -newer "$index" -print -quit)" ]; then
    web_deps
    (cd "$root/web" && npm run build --silent)
  fi
}
