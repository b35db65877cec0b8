#!/usr/bin/env bash
# Validators for what is checked offline: promtool (Prometheus rules and their unit tests) and
# amtool (Alertmanager routing), taken from the Debian packages this machine's apt sources
# carry - the same versions the prometheus and alertmanager roles install (ARCHITECTURE §4).
# The packages are unpacked, never installed (their maintainer scripts would start servers).
# Then @grafana/schema and tsc for Grafana's dashboards (tests/tools/dashboards: npm ci from
# its lock, through the npm client as this machine configures it), into <dir>/dashboards. Then
# mustache, the Logstash configuration parser and linter, and decK, Kong's declarative
# configuration tool (roles/kong generates and validates the gateway's configuration with it),
# each built from its pinned Go module (tests/tools/<tool>: go.mod and go.sum, through the Go
# client as this machine configures it).
# Idempotent: a tool already unpacked at the packaged version, or installed or built from the
# same lock, is kept.
#
# usage: offline-tools.sh [dir]   (default $MACH_STATE_DIR/tools; binaries land in <dir>/bin)
set -euo pipefail

dir=${1:-${MACH_STATE_DIR:-/var/lib/mach-platform}/tools}
declare -A tools=([promtool]=prometheus [amtool]=prometheus-alertmanager)
mkdir -p "$dir/bin"
for tool in "${!tools[@]}"; do
  package=${tools[$tool]}
  candidate=$(apt-cache policy "$package" | awk '/Candidate:/ {print $2}')
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    apt-get update -qq
    candidate=$(apt-cache policy "$package" | awk '/Candidate:/ {print $2}')
  fi
  stamp="$dir/bin/.$tool.version"
  if [ -x "$dir/bin/$tool" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$candidate" ]; then
    continue
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/mach-tools.XXXXXX")
  (cd "$work" && apt-get download -qq "$package=$candidate" 2>/dev/null)
  dpkg-deb -x "$work"/*.deb "$work/root"
  install -m 0755 "$work/root/usr/bin/$tool" "$dir/bin/$tool"
  echo "$candidate" >"$stamp"
  rm -rf "$work"
  echo "$tool from $package $candidate"
done

# Dashboards' type check: reinstalled only when the lock changes.
src=$(cd "$(dirname "$0")/../../tests/tools/dashboards" && pwd)
dst="$dir/dashboards"
mkdir -p "$dst"
# Only what npm needs: the checker's own sources are placed by the test itself
# (tests/unit/test_dashboards.py), so an edited checker counts without `make tools`.
cp "$src/package.json" "$src/package-lock.json" "$dst/"
lock=$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)
if [ ! -x "$dst/node_modules/.bin/tsc" ] || [ "$(cat "$dst/.lock.sha256" 2>/dev/null)" != "$lock" ]; then
  (cd "$dst" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$lock" >"$dst/.lock.sha256"
  echo "dashboard check from $src/package-lock.json"
fi

# Go-built tools (Logstash pipelines' parser, decK): rebuilt only when the module's go.sum changes.
declare -A go_tools=([mustache]=github.com/breml/logstash-config/cmd/mustache [deck]=github.com/kong/deck)
for tool in "${!go_tools[@]}"; do
  src=$(cd "$(dirname "$0")/../../tests/tools/$tool" && pwd)
  sum=$(cat "$src/go.mod" "$src/go.sum" | sha256sum | cut -d' ' -f1)
  if [ ! -x "$dir/bin/$tool" ] || [ "$(cat "$dir/bin/.$tool.sum" 2>/dev/null)" != "$sum" ]; then
    (cd "$src" && go build -trimpath -o "$dir/bin/$tool" "${go_tools[$tool]}")
    echo "$sum" >"$dir/bin/.$tool.sum"
    echo "$tool from $src/go.sum"
  fi
done
