#!/usr/bin/env bash
# Start (or stop) the project's own Docker engine: its own data root, exec root and socket, so
# it never touches another engine on the host. What it changes on the host, with default
# networking: the bridges docker0 and br-<id> (one per project network), iptables filter/nat
# chains DOCKER* (FORWARD policy DROP, MASQUERADE for the bridges) and net.ipv4.ip_forward=1;
# and it raises vm.max_map_count to 262144 for the OpenSearch test nodes.
# `dockerd.sh stop` stops the engine and removes the bridges and chains it made.
#
# usage: dockerd.sh start|stop|status
set -euo pipefail

state=${MACH_STATE_DIR:-/var/lib/mach-platform}
run=${MACH_RUN_DIR:-/run/mach-platform}
sock="$run/docker.sock"
pidfile="$run/docker.pid"
export DOCKER_HOST="unix://$sock"

running() { docker version -f '{{ .Server.Version }}' >/dev/null 2>&1; }

case "${1:-start}" in
  start)
    if running; then exit 0; fi
    mkdir -p "$state/docker" "$run"
    # A previous engine killed hard (a session or CI job that ended) leaves its pidfile and
    # socket behind, and dockerd refuses to start over a pidfile: clear them if it is gone.
    stale=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$stale" ] && kill -0 "$stale" 2>/dev/null; then
      echo "dockerd (pid $stale) runs but does not answer on $sock; stop it first" >&2
      exit 1
    fi
    rm -f "$pidfile" "$sock"
    # Test nodes share the host's kernel: OpenSearch's bootstrap check needs
    # vm.max_map_count >= 262144 on every node (the opensearch role sets it on real hosts).
    if [ "$(sysctl -n vm.max_map_count)" -lt 262144 ]; then sysctl -qw vm.max_map_count=262144; fi
    echo "starting dockerd (data root $state/docker, socket $sock)"
    # setsid: the engine must outlive the make/CI step that started it.
    setsid dockerd --data-root "$state/docker" --exec-root "$run/exec" --pidfile "$pidfile" \
      -H "unix://$sock" --log-level warn >>"$state/dockerd.log" 2>&1 </dev/null &
    for _ in $(seq 1 60); do
      running && { echo "dockerd ready: $(docker version -f '{{ .Server.Version }}')"; exit 0; }
      sleep 0.5
    done
    echo "dockerd did not answer on $sock within 30 s; see $state/dockerd.log" >&2
    tail -n 20 "$state/dockerd.log" >&2 || true
    exit 1
    ;;
  stop)
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    # Undo the host changes the engine made (it leaves them behind on exit).
    for br in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | grep -E '^(docker0|br-[0-9a-f]{12})$' || true); do
      ip link delete "$br" || true
    done
    for table in filter nat; do
      iptables -t "$table" -S 2>/dev/null | grep -E '^-A .* -j DOCKER' | sed 's/^-A/-D/' \
        | while read -r rule; do eval "iptables -t $table $rule" || true; done
      for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1=="-N" && $2 ~ /^DOCKER/ {print $2}'); do
        iptables -t "$table" -F "$chain" || true
      done
      for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1=="-N" && $2 ~ /^DOCKER/ {print $2}'); do
        iptables -t "$table" -X "$chain" || true
      done
    done
    iptables -t nat -S POSTROUTING 2>/dev/null | grep -E 'MASQUERADE' | grep -E '172\.(1[6-9]|2[0-9]|3[01])\.' \
      | sed 's/^-A/-D/' | while read -r rule; do eval "iptables -t nat $rule" || true; done
    echo "dockerd stopped; its bridges and iptables chains removed"
    ;;
  status)
    if running; then echo "dockerd running on $sock"; else echo "dockerd not running"; exit 1; fi
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
