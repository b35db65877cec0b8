"""Role minio on three air-gapped nodes (internal network, mol-a is the mirror): one distributed
deployment over TLS only (six drives, one erasure set), buckets with versioning, users that can
do exactly what their policy says, the check action at -vvv without the root password in its
output, and a node-loss drill (the last test): with a member stopped, objects are still written
and read, and the member catches up when it returns."""

from __future__ import annotations

import io
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
import urllib3
from minio import Minio
from minio.error import S3Error

from mach_ops.molecule import address, ephemeral, node, playbook, secret

testinfra_hosts = ["ansible://all"]

SCENARIO = Path(__file__).resolve().parent.parent
CA = ephemeral() / "pki" / "molecule" / "ca.crt"
MEMBERS = ["mol-a", "mol-b", "mol-c"]
DRIVES = ["/var/lib/minio/drive1", "/var/lib/minio/drive2"]


def s3(name: str, access_key: str = "mach-admin", secret_key: str | None = None) -> Minio:
    """The S3 API of one member from the controller, verifying its certificate."""
    http = urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED",
        ca_certs=str(CA),
        timeout=urllib3.Timeout(connect=5, read=20),
        retries=urllib3.Retry(total=0),
    )
    return Minio(
        f"{address(name)}:9000",
        access_key=access_key,
        secret_key=secret_key or secret("minio-root"),
        secure=True,
        http_client=http,
    )


def cluster_health(name: str) -> int:
    url = f"https://{address(name)}:9000/minio/health/cluster"
    return requests.get(url, verify=str(CA), timeout=10).status_code


def metric(name: str, series: str) -> float:
    body = requests.get(
        f"https://{address(name)}:9000/minio/v2/metrics/cluster", verify=str(CA), timeout=10
    ).text
    values = [float(line.split()[-1]) for line in body.splitlines() if line.startswith(series)]
    assert values, f"{series} not in {name}'s metrics"
    return values[0]


def action(name: str, *extra: str) -> subprocess.CompletedProcess:
    """The role with one action, against the scenario's inventory, at -vvv."""
    return playbook(SCENARIO / "action.yml", "-vvv", "-e", f"mach_action={name}", *extra)


def test_minio_runs_as_its_user_from_the_pinned_binary(host):
    service = host.service("minio")
    assert service.is_running and service.is_enabled
    assert host.process.get(comm="minio").user == "minio"
    assert host.file("/usr/local/bin/minio").linked_to.startswith("/opt/minio/v0.0.0-")
    for drive in DRIVES:
        assert host.file(drive).user == "minio" and host.file(drive).mode == 0o750
        # MinIO formatted the drive as part of the one deployment
        assert host.file(f"{drive}/.minio.sys/format.json").exists


def test_root_password_only_readable_by_root_and_minio(host):
    env = host.file("/etc/default/minio")
    assert (env.user, env.group, env.mode) == ("root", "minio", 0o640)
    assert secret("minio-root") not in host.check_output("systemctl show minio -p Environment")


def test_every_member_lists_all_six_drives(host):
    env = host.file("/etc/default/minio").content_string
    volumes = [f"https://{m}:9000{d}" for m in MEMBERS for d in DRIVES]
    assert f'MINIO_VOLUMES="{" ".join(volumes)}"' in env


@pytest.mark.parametrize("member", MEMBERS)
def test_tls_only_and_write_quorum_on_every_member(member):
    assert cluster_health(member) == 200
    plaintext = requests.get(f"http://{address(member)}:9000/minio/health/cluster", timeout=5)
    assert plaintext.status_code == 400 and "HTTPS" in plaintext.text  # Go's TLS listener
    assert metric(member, "minio_cluster_drive_online_total") == 6
    assert metric(member, "minio_cluster_nodes_online_total") == 3


def test_buckets_versioned_as_specified():
    admin = s3("mol-a")
    assert admin.get_bucket_versioning("pgbackrest").status == "Enabled"
    assert admin.get_bucket_versioning("vault-snapshots").status == "Enabled"
    assert admin.get_bucket_versioning("scratch").status is None


def test_an_object_written_on_one_member_is_read_on_another():
    key, body = f"drill/{uuid.uuid4()}", uuid.uuid4().bytes * 1000
    s3("mol-a").put_object("scratch", key, io.BytesIO(body), len(body))
    assert s3("mol-c").get_object("scratch", key).read() == body


def test_users_can_do_what_their_policy_says_and_nothing_else():
    writer = s3("mol-b", "pgbackrest", secret("minio-pgbackrest"))
    writer.put_object("pgbackrest", "archive/000000010000000000000001", io.BytesIO(b"wal"), 3)
    assert writer.get_object("pgbackrest", "archive/000000010000000000000001").read() == b"wal"
    with pytest.raises(S3Error) as denied:
        writer.put_object("vault-snapshots", "x.snap", io.BytesIO(b"x"), 1)
    assert denied.value.code == "AccessDenied"

    auditor = s3("mol-c", "auditor", secret("minio-auditor"))
    names = [o.object_name for o in auditor.list_objects("pgbackrest", recursive=True)]
    assert "archive/000000010000000000000001" in names
    with pytest.raises(S3Error) as read_only:
        auditor.put_object("pgbackrest", "tampered", io.BytesIO(b"x"), 1)
    assert read_only.value.code == "AccessDenied"
    with pytest.raises(S3Error) as wrong:
        s3("mol-a", "pgbackrest", "not-its-secret-123").list_buckets()
    assert wrong.value.code == "SignatureDoesNotMatch"


def test_versioning_keeps_an_overwritten_backup():
    admin = s3("mol-a")
    admin.put_object("pgbackrest", "backup.info", io.BytesIO(b"v1"), 2)
    admin.put_object("pgbackrest", "backup.info", io.BytesIO(b"v2"), 2)
    latest = admin.stat_object("pgbackrest", "backup.info").version_id
    versions = list(admin.list_objects("pgbackrest", prefix="backup.info", include_version=True))
    (older,) = [v.version_id for v in versions if v.version_id != latest]
    assert admin.get_object("pgbackrest", "backup.info", version_id=older).read() == b"v1"


def test_check_action_passes_and_keeps_the_password_out_of_its_output():
    run = action("check")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "changed=0" in run.stdout and "failed=0" in run.stdout
    for name in ("minio-root", "minio-pgbackrest", "minio-auditor"):
        assert secret(name) not in run.stdout + run.stderr


def test_zz_drill_a_member_down_then_back():
    """Stop mol-c: with 4 of 6 drives the set keeps write quorum; objects are written and read
    through mol-a, the check action reports the drives offline, and after mol-c returns it serves
    the object written while it was away. Prints its figures."""
    down = node("mol-c")
    down.check_output("systemctl stop minio")
    stopped = time.monotonic()
    try:
        key, body = f"drill/{uuid.uuid4()}", uuid.uuid4().bytes * 4096
        s3("mol-a").put_object("scratch", key, io.BytesIO(body), len(body))
        wrote = time.monotonic() - stopped
        assert s3("mol-b").get_object("scratch", key).read() == body
        deadline = time.monotonic() + 60
        while metric("mol-a", "minio_cluster_drive_offline_total") != 2:
            assert time.monotonic() < deadline, "mol-a never counted mol-c's drives offline"
            time.sleep(2)
        check = action("check", "--limit", "mol-a,mol-b")
        said = check.stdout + check.stderr
        assert check.returncode != 0 and "MinioDriveOffline" in said, said[-3000:]
    finally:
        down.check_output("systemctl start minio")
    deadline = time.monotonic() + 120
    while True:
        try:
            if cluster_health("mol-c") == 200:
                break
        except requests.exceptions.ConnectionError:
            pass
        assert time.monotonic() < deadline, "mol-c did not rejoin"
        time.sleep(1)
    rejoined = time.monotonic() - stopped
    # Write quorum (4 of 6 drives) makes mol-c ready, but until it reconnects to both peers it
    # can answer NoSuchKey for what was written while it was away (its shards are elsewhere).
    deadline = time.monotonic() + 120
    while True:
        try:
            served = s3("mol-c").get_object("scratch", key).read()
            break
        except S3Error as missing:
            assert missing.code == "NoSuchKey", missing
            assert time.monotonic() < deadline, "mol-c never served the object written without it"
            time.sleep(1)
    complete = time.monotonic() - stopped
    assert served == body
    print(
        f"\nMinIO drill: with mol-c stopped, a {len(body)} B object was written via mol-a "
        f"{wrote:.1f} s after the stop and read via mol-b; mol-c had write quorum again "
        f"{rejoined:.1f} s after the stop and served the object at {complete:.1f} s."
    )
