#!/usr/bin/env bash
# Build the test-node image (Debian + systemd as PID 1 + python3) with no registry:
# debootstrap a rootfs from this machine's Debian mirror, then `docker import` it.
# Rebuilt only when the recipe (this script, the release) changes: the image carries
# the recipe's hash as a label.
#
# usage: build-image.sh [release]   (bookworm = Debian 12, default; bullseye = 11; trixie = 13)
set -euo pipefail

release=${1:-bookworm}
declare -A version=([bullseye]=11 [bookworm]=12 [trixie]=13)
[ -n "${version[$release]:-}" ] || { echo "build-image.sh: unsupported release '$release'" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
image="mach/debian${version[$release]}-systemd:latest"
recipe=$(cat "$here/build-image.sh" "$here/apt-mirror.sh" | sha256sum | cut -c1-16)-$release
current=$(docker image inspect -f '{{ index .Config.Labels "mach.recipe" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$recipe" ]; then
  echo "node image $image is current (recipe $recipe)"
  exit 0
fi

read -r mirror security < <("$here/apt-mirror.sh")
work=$(mktemp -d "${TMPDIR:-/tmp}/mach-rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
start=$(date +%s)
echo "debootstrap $release from the machine's configured mirror ..."
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,procps,ca-certificates,gnupg \
  "$release" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

security_suite="$release-security"
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $release main
deb $mirror $release-updates main
deb $security $security_suite main
SOURCES
# The reachable mirror is a dated snapshot: its Release files are past Valid-Until.
echo 'Acquire::Check-Valid-Until "false";' >"$rootfs/etc/apt/apt.conf.d/10mach-snapshot"
# Units that make no sense in a container, and a per-container machine-id.
for unit in systemd-remount-fs.service getty.target console-getty.service \
            systemd-firstboot.service systemd-udevd.service systemd-modules-load.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/tmp/* "$rootfs"/var/log/*.log
# An empty index must not look fresh to `apt cache_valid_time`.
touch -d @0 "$rootfs/var/lib/apt/lists"

tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV container=docker' \
  --change 'CMD ["/lib/systemd/systemd"]' \
  - "mach/rootfs-$release:import" >/dev/null
# docker 20.10's import rejects STOPSIGNAL: add it (and the recipe label) with a one-line build.
printf 'FROM mach/rootfs-%s:import\nSTOPSIGNAL SIGRTMIN+3\nLABEL mach.recipe="%s"\n' "$release" "$recipe" \
  | DOCKER_BUILDKIT=0 docker build -q -t "$image" - >/dev/null 2>"$work/build.log" \
  || { cat "$work/build.log" >&2; exit 1; }
docker image rm "mach/rootfs-$release:import" >/dev/null
echo "built $image (recipe $recipe) in $(( $(date +%s) - start ))s, $(docker image inspect -f '{{ .Size }}' "$image" | awk '{printf "%d MB", $1/1e6}')"
