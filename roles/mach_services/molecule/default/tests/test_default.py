"""mach_services: catalog and inventory on svc-b and svc-c from the mirror's wheels, behind
svc-a's HAProxy (molecule.yml). The APIs serve as their own users, the database login only in
a credential file their user alone reads; the schemas are migrated; the housekeeping timer's
chores run; check mode predicts no change; a rollout of a new setting keeps every request
answered."""

import json
import re
import time

import pytest

from mach_ops.molecule import node, playbook, project_root, secret

testinfra_hosts = ["ansible://svc-b", "ansible://svc-c"]

APP = ["svc-b", "svc-c"]
PORTS = {"catalog": 8101, "inventory": 8102}


def password(service: str) -> str:
    return secret(f"db-{service}")


def get(host, port: int, path: str, accept: str = "application/json") -> tuple[int, str]:
    out = host.check_output(
        f"curl -s -H 'Accept: {accept}' -w '\\n%{{http_code}}' http://127.0.0.1:{port}{path}"
    )
    body, _, code = out.rpartition("\n")
    return int(code), body


def rollout(*args: str):
    """playbooks/services.yml, as operators run it, against the scenario's inventory."""
    return playbook(project_root() / "playbooks" / "services.yml", *args, timeout=900)


def main_pid(host, unit: str) -> int:
    return int(host.check_output(f"systemctl show -p MainPID --value {unit}"))


@pytest.mark.parametrize("service", PORTS)
def test_api_runs_as_its_own_user(host, service):
    unit = f"mach-{service}.service"
    assert host.service(unit).is_running
    assert host.service(unit).is_enabled
    user = host.check_output(f"ps -o user= -p {main_pid(host, unit)}")
    assert user == f"mach-{service}", user


@pytest.mark.parametrize("service", PORTS)
def test_api_ready_and_serving_json_and_xml(host, service):
    port = PORTS[service]
    code, body = get(host, port, "/readyz")
    assert code == 200, body
    path = {
        "catalog": "/v1/products",
        "inventory": "/v1/stock/00000000-0000-4000-8000-000000000000",
    }[service]
    code, body = get(host, port, path)
    assert code in (200, 404), body
    assert body.startswith("{"), body
    code, body = get(host, port, path, accept="application/xml")
    assert body.startswith("<?xml"), body


@pytest.mark.parametrize("service", PORTS)
def test_database_login_only_in_the_credential_file(host, service):
    secret = password(service)
    creds = host.file(f"/etc/mach-services/credentials/{service}/mach_database_url")
    assert (creds.user, creds.group, creds.mode) == ("root", f"mach-{service}", 0o640)
    other = "inventory" if service == "catalog" else "catalog"
    refused = host.run(f"runuser -u mach-{other} -- cat {creds.path}")
    assert refused.rc != 0 and secret not in refused.stdout
    assert secret in host.check_output(f"cat {creds.path}")
    unit = f"mach-{service}.service"
    for text in (
        host.file(f"/etc/mach-services/{service}.env").content_string,
        host.file(f"/etc/systemd/system/{unit}").content_string,
        host.check_output(f"systemctl show {unit} -p Environment"),
        host.check_output(f"journalctl -u {unit} --no-pager -o cat"),
    ):
        assert secret not in text


def test_no_broker_no_relay_or_consumer(host):
    """Without kafka_bootstrap the workers that need a broker are not installed as units."""
    for unit in ("mach-catalog-relay", "mach-inventory-relay", "mach-inventory-consumer"):
        assert not host.file(f"/etc/systemd/system/{unit}.service").exists


def test_housekeeping_timer_and_its_chores(host):
    assert host.service("mach-inventory-housekeeping.timer").is_running
    started = host.run("systemctl start mach-inventory-housekeeping.service")
    assert started.rc == 0, started.stderr
    log = host.check_output(
        "journalctl -u mach-inventory-housekeeping.service --no-pager -o cat -n 20"
    )
    assert "Finished" in log or "Deactivated successfully" in log, log


def test_schema_migrated_to_head(host):
    if host.backend.get_hostname() != "svc-b":
        pytest.skip("once")
    db = node("svc-a")
    for service in PORTS:
        query = "select version_num from alembic_version"
        version = db.check_output(f"runuser -u postgres -- psql -d {service} -tAc '{query}'")
        assert re.fullmatch(r"[0-9a-z_]+", version), version
    venv = host.check_output("readlink -f /opt/mach-services/catalog/current")
    current = host.check_output(
        "systemd-run --quiet --wait --pipe --collect -p User=mach-catalog "
        "-p EnvironmentFile=/etc/mach-services/catalog.env "
        "-p Environment=CREDENTIALS_DIRECTORY=/etc/mach-services/credentials/catalog "
        f"{venv}/bin/catalog-migrate current"
    )
    assert "(head)" in current, current


def test_installed_from_the_mirror_only(host):
    """The nodes have no route out; the mirror's log shows each fetched both archives."""
    if host.backend.get_hostname() != "svc-b":
        pytest.skip("once")
    mirror = node("svc-a")
    log = mirror.check_output("cat /var/log/nginx/access.log")
    for name in APP:
        address = mirror.check_output(f"getent hosts {name}").split()[0]
        for archive in ("deps.tar.gz", "services.tar.gz"):
            assert any(
                line.startswith(address + " ") and "/services/" in line and archive in line
                for line in log.splitlines()
            ), (name, archive)


def test_y_check_mode_predicts_no_change_and_check_passes(host):
    if host.backend.get_hostname() != "svc-b":
        pytest.skip("once")
    proc = rollout("--check")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert re.findall(r"changed=(\d+)", proc.stdout) == ["0", "0"], proc.stdout[-3000:]
    proc = rollout("-e", "mach_action=check")
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_zz_rollout_keeps_every_request_answered(host):
    """A new setting rolls out one host at a time, each ready before the next: requests sent
    through the gateway's stand-in all the while are all answered 200."""
    if host.backend.get_hostname() != "svc-b":
        pytest.skip("once")
    gateway = node("svc-a")
    before = {name: main_pid(node(name), "mach-catalog.service") for name in APP}
    gateway.check_output(
        "nohup bash -c 'while [ ! -e /tmp/poll.stop ]; do "
        'curl -s -o /dev/null -w "%{http_code}\\n" --max-time 10 '
        "http://127.0.0.1:8101/v1/products; sleep 0.05; done > /tmp/poll.log' "
        ">/dev/null 2>&1 &"
    )
    settings = {
        "jwt_jwks_url": "https://svc-a:8443/realms/mach/protocol/openid-connect/certs",
        "jwt_issuer": "https://svc-a:8443/realms/mach",
        "jwt_audience": "mach-services",
        "log_level": "DEBUG",
    }
    started = time.monotonic()
    proc = rollout("-e", json.dumps({"mach_services_common_settings": settings}))
    seconds = time.monotonic() - started
    time.sleep(2)
    gateway.check_output("touch /tmp/poll.stop")
    time.sleep(1)
    codes = gateway.check_output("cat /tmp/poll.log").split()
    assert proc.returncode == 0, proc.stdout[-3000:]
    after = {name: main_pid(node(name), "mach-catalog.service") for name in APP}
    assert all(before[n] != after[n] for n in APP), (before, after)
    failed = [c for c in codes if c != "200"]
    print(f"\nrollout of 2 hosts in {seconds:.0f} s: {len(codes)} requests, {len(failed)} not 200")
    assert len(codes) > 100 and not failed, sorted(set(failed))
