#!/usr/bin/env bash
# The mirror role's scenario, and the air-gapped base snapshot taken from it: roles/mirror's
# scenario converges playbooks/base.yml on the internal network every air-gapped role scenario
# uses (mol-a is the mirror); after its idempotence run, mol-a and mol-b are committed as
# images, then the scenario verifies and is destroyed. The air-gapped role scenarios start
# from those images (their .env.yml) instead of converging base.yml again: about 150 s less
# each. Each node carries the snapshot's identity in /etc/mach-base-snapshot (base.yml, roles
# common and mirror with the mirror's scenario, the shared Molecule config, the substrate
# scripts, the bundle and the node image); a role scenario's prepare.yml
# (molecule/base-snapshot.yml) refuses nodes whose identity is not the current one.
#
# usage: base-snapshot.sh [--id]   (--id: print the current identity only)
set -euo pipefail
# A failing command inside $(...) fails the script too (no identity from half its inputs).
shopt -s inherit_errexit

root=$(cd "$(dirname "$0")/../.." && pwd)
artifacts=${MACH_ARTIFACTS_DIR:-${MACH_STATE_DIR:-/var/lib/mach-platform}/artifacts}
mirror_image=mach/airgap-base-mirror
node_image=mach/airgap-base-node

identity() {
  local base
  base=$(docker image inspect -f '{{ .Id }}' mach/debian12-systemd:latest)
  {
    cd "$root"
    find playbooks/base.yml roles/common roles/mirror .config/molecule molecule/substrate \
      molecule/base-snapshot.yml -type f -not -path 'roles/common/molecule/*' \
      -not -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum
    sha256sum "$artifacts/SHA256SUMS" "$artifacts/apt/mach-archive-keyring.gpg"
    echo "$base"
  } | sha256sum | cut -c1-16
}

id=$(identity)
if [ "${1:-}" = "--id" ]; then
  echo "$id"
  exit 0
fi

start=$(date +%s)
cd "$root/roles/mirror"
echo "=== molecule test: roles/mirror (and the base snapshot $id)"
trap 'molecule destroy >/dev/null 2>&1 || true' EXIT
molecule destroy >/dev/null
molecule converge
molecule idempotence
for pair in "mol-a $mirror_image" "mol-b $node_image"; do
  read -r node image <<<"$pair"
  # The identity, and a per-container machine-id on boot (as in the node image).
  docker exec "$node" sh -c "echo $id >/etc/mach-base-snapshot; : >/etc/machine-id; rm -f /var/lib/dbus/machine-id"
  # A snapshot of the same identity taken again (every `make test` runs this) replaces the
  # previous one, which would be left untagged: about 2 GB a run that filled the host's disk.
  previous=$(docker image inspect -f '{{ .Id }}' "$image:$id" 2>/dev/null || true)
  docker commit -c 'CMD ["/lib/systemd/systemd"]' "$node" "$image:$id" >/dev/null
  docker tag "$image:$id" "$image:latest"
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{ .Id }}' "$image:$id")" ]; then
    docker rmi "$previous" >/dev/null 2>&1 || true
  fi
  # Older snapshots go: only the current one is ever used.
  docker image ls --format '{{ .Repository }}:{{ .Tag }}' "$image" \
    | { grep -v -e ":$id\$" -e ':latest$' || true; } | xargs -r docker rmi >/dev/null
done
echo "base snapshot $id committed after $(( $(date +%s) - start )) s"
molecule verify
molecule destroy >/dev/null
trap - EXIT
echo "=== roles/mirror: molecule test passed in $(( $(date +%s) - start )) s (base snapshot $id)"
