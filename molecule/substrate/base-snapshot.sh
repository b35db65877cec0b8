#!/usr/bin/env bash
# The air-gapped base snapshot: playbooks/base.yml converged once per change on the nodes of
# roles/mirror/molecule/base (the internal network every air-gapped role scenario uses; mol-a
# is the mirror), then mol-a and mol-b committed as images. Those scenarios start from them
# (their .env.yml) instead of converging base.yml again: about 150 s less per scenario. The
# snapshot is rebuilt only when its identity changes: base.yml, roles common and mirror (not
# their own scenarios), that scenario, the shared Molecule config and substrate scripts, the
# bundle and the node image. Each node carries the identity in /etc/mach-base-snapshot; a
# scenario's prepare.yml refuses nodes whose identity is not the current one.
#
# usage: base-snapshot.sh [--id]   (--id: print the current identity only)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
artifacts=${MACH_ARTIFACTS_DIR:-${MACH_STATE_DIR:-/var/lib/mach-platform}/artifacts}
mirror_image=mach/airgap-base-mirror
node_image=mach/airgap-base-node

identity() {
  local base
  base=$(docker image inspect -f '{{ .Id }}' mach/debian12-systemd:latest)
  {
    cd "$root"
    find playbooks/base.yml roles/common roles/mirror .config/molecule molecule/substrate -type f \
      -not -path 'roles/*/molecule/default/*' -not -name '*.pyc' -print0 | sort -z \
      | xargs -0 sha256sum
    sha256sum "$artifacts/SHA256SUMS" "$artifacts/apt/mach-archive-keyring.gpg"
    echo "$base"
  } | sha256sum | cut -c1-16
}

id=$(identity)
if [ "${1:-}" = "--id" ]; then
  echo "$id"
  exit 0
fi
if docker image inspect "$mirror_image:$id" "$node_image:$id" >/dev/null 2>&1; then
  docker tag "$mirror_image:$id" "$mirror_image:latest"
  docker tag "$node_image:$id" "$node_image:latest"
  echo "base snapshot $id is current"
  exit 0
fi

# The scenario's network: the air-gapped one (roles/kafka/.env.yml and its peers).
export MACH_MOLECULE_NETWORK=mach-molecule-airgap MACH_MOLECULE_SUBNET=172.31.252.0/24 \
  MACH_MOLECULE_INTERNAL=true MACH_BASE_SNAPSHOT_ID=$id
start=$(date +%s)
cd "$root/roles/mirror"
trap 'molecule destroy -s base >/dev/null 2>&1 || true' EXIT
molecule destroy -s base >/dev/null
molecule create -s base
for pair in "mol-a $mirror_image" "mol-b $node_image"; do
  read -r node image <<<"$pair"
  # A per-container machine-id on boot (as in the node image).
  docker exec "$node" sh -c ': >/etc/machine-id; rm -f /var/lib/dbus/machine-id'
  docker commit -c 'CMD ["/lib/systemd/systemd"]' "$node" "$image:$id" >/dev/null
  docker tag "$image:$id" "$image:latest"
  # Older snapshots go: only the current one is ever used.
  docker image ls --format '{{ .Repository }}:{{ .Tag }}' "$image" \
    | { grep -v -e ":$id\$" -e ':latest$' || true; } | xargs -r docker rmi >/dev/null
done
echo "base snapshot $id built in $(( $(date +%s) - start )) s"
