#!/usr/bin/env bash
# Install the Debian packages the suite needs on the controller, only when one is missing.
set -euo pipefail
packages=(docker.io debootstrap iproute2 iptables apt-utils gnupg maven postgresql-15 redis-server redis-tools)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
