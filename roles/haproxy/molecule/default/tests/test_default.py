"""Role haproxy on two load balancers (mol-b, mol-c) sharing a VIP, mol-a the backend: one host
holds the VIP; HTTP and TCP pass through it to mol-a; the health checks keep a dead server out;
HAProxy's own Prometheus metrics say so; when HAProxy stops on the holder, keepalived moves the
VIP to the other within seconds and clients carry on; check and wrong input behave."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

from mach_ops import runs
from mach_ops.molecule import curl, node, playbook
from mach_ops.testing import wait_for

testinfra_hosts = ["ansible://mol-b", "ansible://mol-c"]

SCENARIO = Path(__file__).resolve().parent.parent
VIP = "172.31.252.100"
LBS = ("mol-b", "mol-c")


def action(name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return playbook(SCENARIO / "action.yml", "-e", f"mach_action={name}", *extra)


def holders() -> list[str]:
    return [n for n in LBS if node(n).run(f"ip -o -4 addr show to {VIP}/32").stdout.strip()]


def wait_for_one_holder(timeout: float = 30, not_on: str | None = None) -> str:
    """The one host that holds the VIP (other than `not_on`), once there is exactly one."""

    def one() -> str | None:
        held = holders()
        return held[0] if len(held) == 1 and held[0] != not_on else None

    return wait_for(one, timeout, f"one holder of {VIP} other than {not_on}", interval=0.5)


def metrics(name: str) -> str:
    code, text = curl(name, "-m", "5", f"http://{VIP}:8405/metrics")
    assert code == 200, (code, text)
    return str(text)


def test_both_services_run_with_a_checked_configuration(host):
    for unit in ("haproxy", "keepalived"):
        assert host.service(unit).is_running and host.service(unit).is_enabled, unit
    assert host.run("haproxy -c -q -f /etc/haproxy/haproxy.cfg").rc == 0
    assert host.run("keepalived --config-test -f /etc/keepalived/keepalived.conf").rc == 0
    for port in (8081, 2222, 8405):
        assert host.socket(f"tcp://0.0.0.0:{port}").is_listening, port
    nft = host.check_output("nft list ruleset")
    assert re.search(
        r'ip saddr 172\.31\.252\.\d+ meta l4proto vrrp accept comment "haproxy-vrrp"', nft
    )


def test_one_host_holds_the_vip_and_passes_http_and_tcp_to_the_backend():
    wait_for_one_holder()
    code, text = curl("mol-a", "-m", "5", f"http://{VIP}:8081/apt/dists/bookworm/Release")
    assert code == 200 and "Codename: bookworm" in str(text), text
    local = node("mol-a").check_output("cat /etc/ssh/ssh_host_ed25519_key.pub").split()[1]
    scanned = node("mol-a").check_output(f"ssh-keyscan -T 5 -t ed25519 -p 2222 {VIP} 2>/dev/null")
    assert local in scanned, scanned


def test_health_checks_keep_the_dead_server_out_and_metrics_say_so():
    text = metrics("mol-a")
    up = re.findall(
        r'^haproxy_server_status\{proxy="mirror",server="([^"]+)",state="UP"\} 1$', text, re.M
    )
    down = re.findall(
        r'^haproxy_server_status\{proxy="mirror",server="([^"]+)",state="DOWN"\} 1$', text, re.M
    )
    assert up == ["mol-a"] and down == ["mol-c-nothing"], (up, down)
    # What HAProxyBackendDown reads: the backend keeps one server.
    assert re.search(r'^haproxy_backend_active_servers\{proxy="mirror"\} 1$', text, re.M)
    # Every request reaches the live server.
    for _ in range(6):
        code, _ = curl("mol-a", "-m", "5", f"http://{VIP}:8081/apt/dists/bookworm/Release")
        assert code == 200


def test_the_vip_moves_when_haproxy_stops_and_clients_carry_on():
    holder = wait_for_one_holder()
    other = next(n for n in LBS if n != holder)
    started = time.monotonic()
    node(holder).check_output("systemctl stop haproxy")
    try:
        assert wait_for_one_holder(timeout=20, not_on=holder) == other
        moved = time.monotonic() - started
        url = f"http://{VIP}:8081/apt/dists/bookworm/Release"
        wait_for(lambda: curl("mol-a", "-m", "2", url)[0] == 200, 10, "a request served", 0.2)
        served = time.monotonic() - started
        print(f"\nVIP moved from {holder} to {other} in {moved:.1f} s;", end=" ")
        print(f"served again after {served:.1f} s")
    finally:
        node(holder).check_output("systemctl start haproxy")
    # No second move when the first host recovers (nopreempt).
    time.sleep(4)
    assert holders() == [other]


def test_check_action_is_green_and_changes_nothing():
    run = action("check")
    assert run.returncode == 0, run.stdout[-3000:]
    recap = runs.recap(run.stdout)
    assert sorted(recap) == list(LBS)
    assert all(r["changed"] == 0 and r["failed"] == 0 for r in recap.values()), recap


def test_wrong_input_fails_before_any_change():
    on_metrics_port = [{"name": "a", "port": 8405, "backend": {"group": "mirror", "port": 22}}]
    no_such_group = [{"name": "a", "port": 9, "backend": {"group": "nosuch", "port": 22}}]
    for extra, said in (
        (["-e", "haproxy_vip=10.9.9.9"], "in the subnet of the hosts' VRRP addresses"),
        (["-e", "haproxy_vrrp_router_id=300"], "a router id 1-255"),
        (["-e", json.dumps({"haproxy_frontends": on_metrics_port})], "distinct ports"),
        (
            ["-e", json.dumps({"haproxy_frontends": no_such_group})],
            "groups not in the inventory: ['nosuch']",
        ),
    ):
        run = action("deploy", *extra)
        out = " ".join(runs.plain(run.stdout + run.stderr).split())
        assert run.returncode != 0 and said in out, (extra, out[-2000:])
        assert "changed: [" not in run.stdout, extra


def test_the_platforms_frontends_render_into_a_configuration_haproxy_accepts():
    """inventories/shared/group_vars/all/50-lb.yml through the role's prechecks and template,
    for three hosts per group, then `haproxy -c` on mol-b (with its internal CA file)."""
    run = playbook(SCENARIO / "platform-config.yml")
    assert run.returncode == 0, run.stdout[-3000:]
    config = node("mol-b").file("/tmp/haproxy-platform.cfg").content_string
    assert re.search(
        r"^    server security-a 192\.0\.2\.1:8200 check check-ssl verify required "
        r"ca-file /etc/haproxy/tls/ca.crt check-sni security-a verifyhost security-a$",
        config,
        re.M,
    ), config
    assert "http-check send meth GET uri /v1/sys/health ver HTTP/1.1 hdr Host vault" in config
    assert re.search(r"^    server security-c 192\.0\.2\.7:8443 check port 9990$", config, re.M)
    assert len(re.findall(r"^frontend ", config, re.M)) == 7  # six and the statistics
