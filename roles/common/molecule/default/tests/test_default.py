"""Verify role common on the three Molecule nodes (testinfra, run by `molecule verify`)."""

import os
import time

import pytest
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("all")

ADMINS = {"mach": 1, "ops1": 2}  # user -> number of keys declared in molecule.yml


def node(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


@pytest.mark.parametrize(
    "package",
    ["chrony", "nftables", "openssh-server", "prometheus-node-exporter", "sudo", "python3-apt"],
)
def test_base_packages(host, package):
    assert host.package(package).is_installed


@pytest.mark.parametrize("service", ["ssh", "chrony", "prometheus-node-exporter", "nftables"])
def test_services_enabled(host, service):
    svc = host.service(service)
    assert svc.is_enabled
    if service != "nftables":  # a oneshot unit: loaded ruleset is checked below
        assert svc.is_running


@pytest.mark.parametrize(("user", "keys"), ADMINS.items())
def test_admin_users(host, user, keys):
    u = host.user(user)
    assert u.exists
    assert "mach-admin" in u.groups
    assert u.shell == "/bin/bash"
    assert u.password in ("*", "!", "!*")  # no password login
    authorized = host.file(f"/home/{user}/.ssh/authorized_keys")
    assert authorized.mode == 0o600
    assert len([ln for ln in authorized.content_string.splitlines() if ln.strip()]) == keys


def test_admin_sudo_without_password(host):
    out = host.check_output("sudo -l -U mach")
    assert "NOPASSWD: ALL" in out
    assert host.run("visudo -c").rc == 0


def test_sshd_effective_hardening(host):
    effective = set(host.check_output("sshd -T").lower().splitlines())
    for line in (
        "permitrootlogin no",
        "passwordauthentication no",
        "kbdinteractiveauthentication no",
        "x11forwarding no",
        "maxauthtries 3",
        "allowgroups mach-admin",
    ):
        assert line in effective
    assert host.socket("tcp://0.0.0.0:22").is_listening


def test_sysctl_file(host):
    conf = host.file("/etc/sysctl.d/60-mach.conf")
    assert conf.exists
    assert "vm.max_map_count = 262144" in conf.content_string
    assert "net.ipv4.tcp_syncookies = 1" in conf.content_string
    # every key is a real kernel parameter (the container may not apply them)
    for line in conf.content_string.splitlines():
        if line and not line.startswith("#"):
            key = line.split("=")[0].strip()
            assert host.file("/proc/sys/" + key.replace(".", "/")).exists, key


def test_journald_limits(host):
    conf = host.file("/etc/systemd/journald.conf.d/50-mach.conf").content_string
    assert "SystemMaxUse=1G" in conf
    assert "MaxRetentionSec=14day" in conf
    assert "ForwardToSyslog=no" in conf  # the shipper (roles/logs) reads the journal itself
    assert host.service("systemd-journald").is_running


def test_firewall_default_deny(host):
    chain = host.check_output("nft list chain inet mach input")
    assert "policy drop" in chain
    assert 'comment "ssh"' in chain
    assert 'comment "node-exporter"' in chain
    # the container runtime's own table (embedded DNS) is left alone
    assert host.run("getent hosts mol-c").rc == 0


def test_node_exporter_serves_systemd_metrics(host):
    metrics = host.check_output("curl -fsS http://127.0.0.1:9100/metrics")
    assert "node_systemd_unit_state" in metrics


def test_chrony_sources(host):
    if host.backend.get_hostname() == "mol-a":
        conf = host.file("/etc/chrony/chrony.conf").content_string
        assert "allow 172.31.251.0/24" in conf
        assert "local stratum 10" in conf
        assert "server mol-a" not in conf
        assert "0.0.0.0:123 " in host.check_output("ss -Hlnu")
        return
    # mol-b / mol-c poll mol-a through its NTP opening: the reach register turns non-zero.
    deadline = time.monotonic() + 60
    reach = "0"
    while time.monotonic() < deadline:
        rows = [r.split(",") for r in host.check_output("chronyc -n -c sources").splitlines()]
        reach = rows[0][5] if rows else "0"
        if reach != "0":
            break
        time.sleep(2)
    assert reach != "0", "no NTP reply from mol-a"


def test_firewall_admits_openings_and_drops_the_rest():
    """From mol-b: mol-a's node exporter (opened) answers, an unopened port does not."""
    a, b = node("mol-a"), node("mol-b")
    a.run("systemd-run --unit=mach-probe-listener python3 -m http.server 9999")
    try:
        time.sleep(1)
        assert a.run("curl -fsS -m 3 http://127.0.0.1:9999/ -o /dev/null").rc == 0
        assert b.run("curl -fsS -m 5 http://mol-a:9100/metrics -o /dev/null").rc == 0
        blocked = b.run("curl -sS -m 3 http://mol-a:9999/ -o /dev/null")
        assert blocked.rc == 28, blocked.stderr  # 28: timed out, the packet was dropped
    finally:
        a.run("systemctl stop mach-probe-listener")
