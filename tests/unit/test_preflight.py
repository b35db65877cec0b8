"""Preflight: the probe runs for real on this machine (local transport) and its output is
parsed; the checks are exercised on probe outputs derived from that real one."""

import time

import pytest

from mach_ops.connection import LocalRunner
from mach_ops.inventory import build_inventory, group_members, transport_options
from mach_ops.preflight import PROBE, evaluate, listeners, parse_probe

HOSTVARS = {
    "mach_group_minimums": {
        "all": {"memory_mb": 1, "disk_gb": 0},
        "data": {"memory_mb": 2, "disk_gb": 0},
    },
    "mach_group_ports": {
        "all": [{"port": 9100, "proto": "tcp", "unit": "prometheus-node-exporter"}]
    },
}


@pytest.fixture(scope="module")
def real_probe():
    sent = time.time()
    out = LocalRunner().run(PROBE, timeout=30)
    received = time.time()
    assert out.rc == 0, out.stderr
    return parse_probe(out.stdout, sent, received)


def test_probe_sections_on_this_machine(real_probe):
    for section in ("os", "mem", "disk", "hostname", "clock"):
        assert real_probe.lines(section), section
    assert int(real_probe.value("mem")) > 0
    assert abs(float(real_probe.value("clock")) - time.time()) < 60


def test_this_machine_passes_when_inventory_matches(real_probe):
    name = real_probe.value("hostname")
    report = evaluate(name, ["data"], HOSTVARS, real_probe)
    assert [f for f in report.failures if not f.startswith(("dns:", "port "))] == []
    assert report.facts["os"].startswith("debian")


def test_hostname_mismatch_is_named(real_probe):
    report = evaluate("not-this-host", [], HOSTVARS, real_probe)
    assert any(
        f.startswith("hostname: node calls itself") and "'not-this-host'" in f
        for f in report.failures
    )


def test_memory_and_disk_minimums_use_the_largest_group(real_probe):
    huge = {
        "mach_group_minimums": {
            "all": {"memory_mb": 1},
            "data": {"memory_mb": 10**9, "disk_gb": 10**6},
        }
    }
    report = evaluate(real_probe.value("hostname"), ["data"], huge, real_probe)
    assert any(f.startswith("memory:") and "required by groups data" in f for f in report.failures)
    assert any(f.startswith("disk:") for f in report.failures)
    assert not any(
        f.startswith("memory:")
        for f in evaluate(real_probe.value("hostname"), [], huge, real_probe).failures
    )


def test_clock_skew(real_probe):
    skewed = parse_probe(
        "@@clock\n" + str(real_probe.received_at + 30), real_probe.sent_at, real_probe.received_at
    )
    skewed.sections.update({k: v for k, v in real_probe.sections.items() if k != "clock"})
    report = evaluate(real_probe.value("hostname"), [], HOSTVARS, skewed)
    assert any(f.startswith("clock: +3") for f in report.failures)


def test_unsupported_os(real_probe):
    probe = parse_probe('@@os\nID=ubuntu\nVERSION_ID="22.04"\n', 0, 0)
    probe.sections.update({k: v for k, v in real_probe.sections.items() if k != "os"})
    probe.sent_at, probe.received_at = real_probe.sent_at, real_probe.received_at
    report = evaluate(real_probe.value("hostname"), [], HOSTVARS, probe)
    assert any(f.startswith("os: ubuntu 22.04 is not supported") for f in report.failures)


def test_port_held_by_the_declared_unit_passes_and_by_another_fails():
    out = (
        "@@owners\n71 prometheus-node prometheus-node-exporter.service\n88 python3 squat.service\n"
        '@@pids\ntcp *:9100 users:(("prometheus-node",pid=71,fd=3))\n'
        'tcp 0.0.0.0:5432 users:(("python3",pid=88,fd=3))\n'
    )
    probe = parse_probe(out, 0, 0)
    assert {(s.port, s.unit) for s in listeners(probe)} == {
        (9100, "prometheus-node-exporter.service"),
        (5432, "squat.service"),
    }
    hv = {
        "mach_group_ports": {
            "all": [{"port": 9100, "proto": "tcp", "unit": "prometheus-node-exporter"}],
            "data": [{"port": 5432, "proto": "tcp", "unit": "patroni"}],
        }
    }
    ports = [f for f in evaluate("h", ["data"], hv, probe).failures if f.startswith("port")]
    assert ports == [
        "port 5432/tcp: held by python3 (pid 88, squat.service), but group data needs it for "
        "patroni; stop that process or move the service"
    ]


def test_inventory_mapping_from_ansible_json():
    data = {
        "_meta": {
            "hostvars": {
                "n1": {
                    "ansible_connection": "community.docker.docker_api",
                    "ansible_docker_docker_host": "unix:///x.sock",
                },
                "n2": {"ansible_host": "n2.example", "ansible_user": "ops", "ansible_become": True},
            }
        },
        "all": {"children": ["ungrouped", "data", "zone"]},
        "zone": {"children": ["data"]},
        "data": {"hosts": ["n1", "n2"]},
    }
    assert group_members(data) == {"zone": {"n1", "n2"}, "data": {"n1", "n2"}}
    inv = build_inventory(data)
    assert [g.name for g in inv.hosts["n1"].groups] == ["data", "zone"]
    opts = inv.hosts["n1"].connection_options["mach_exec"]
    assert opts.extras["transport"] == "docker" and opts.extras["docker_host"] == "unix:///x.sock"
    ssh = transport_options(data["_meta"]["hostvars"]["n2"])
    assert (ssh.hostname, ssh.username, ssh.extras["transport"], ssh.extras["become"]) == (
        "n2.example",
        "ops",
        "ssh",
        True,
    )
