#!/usr/bin/env bash
# Print "<debian-mirror-url> <security-mirror-url>" as this machine's apt is configured.
# No mirror host is written into the project: it is read from /etc/apt at run time.
set -euo pipefail

uris() {
  # deb822 sources first, then one-line sources.list entries.
  {
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -r "$f" ] && awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) print $i}' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -r "$f" ] && awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' "$f"
    done
    true
  } 2>/dev/null | sed 's:/*$::'
}

all=$(uris)
main=$(grep -v -- '-security$' <<<"$all" | head -n1 || true)
security=$(grep -- '-security$' <<<"$all" | head -n1 || true)
if [ -z "$main" ]; then
  echo "apt-mirror: no Debian mirror found in /etc/apt/sources.list*; set MACH_DEBIAN_MIRROR" >&2
  exit 1
fi
echo "${MACH_DEBIAN_MIRROR:-$main} ${MACH_DEBIAN_SECURITY_MIRROR:-${security:-${main}-security}}"
