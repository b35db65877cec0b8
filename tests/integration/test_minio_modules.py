"""mach.platform.minio_bucket and minio_user against a real MinIO server from the bundle,
started by the fixture over TLS (a CA made for the test): read-compare-write, check mode, a
second run without change, and what a user may and may not do with its credentials."""

import io
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error
from vaultkit import BUNDLE, _free_port, ansible_module

from conftest import ROOT
from mach_ops.artifacts import load_manifest

pytestmark = pytest.mark.artifacts

ROOT_USER, ROOT_PASSWORD = "mach-admin", "integration-root-password"


def minio_binary() -> Path:
    manifest = load_manifest(ROOT / "artifacts" / "manifest.yml")
    (a,) = [a for a in manifest.artifacts if a.name == "minio"]
    return BUNDLE / a.directory / "minio"


def _tls(certs: Path) -> Path:
    """A CA and a server certificate for 127.0.0.1 in MinIO's certs layout; returns the CA."""
    (certs / "CAs").mkdir(parents=True)
    ca_key, ca = certs.parent / "ca.key", certs.parent / "ca.crt"
    ssl = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-days", "2"]  # fmt: skip
    subprocess.run([*ssl, "-keyout", ca_key, "-out", ca, "-subj", "/CN=MACH test CA"],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(
        [*ssl, "-CA", ca, "-CAkey", ca_key, "-keyout", certs / "private.key",
         "-out", certs / "public.crt", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return ca


@pytest.fixture(scope="module")
def minio(tmp_path_factory):
    base = tmp_path_factory.mktemp("minio")
    ca = _tls(base / "certs")
    drives = [base / f"drive{i}" for i in range(1, 5)]
    for drive in drives:
        drive.mkdir()
    port = _free_port()
    proc = subprocess.Popen(
        [str(minio_binary()), "server", "--quiet", "--certs-dir", str(base / "certs"),
         "--address", f"127.0.0.1:{port}", "--console-address", f"127.0.0.1:{_free_port()}",
         *map(str, drives)],
        env={**os.environ, "MINIO_ROOT_USER": ROOT_USER, "MINIO_ROOT_PASSWORD": ROOT_PASSWORD,
             # the test's drives are directories on the root filesystem
             "MINIO_CI_CD": "on"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = urllib.request.urlopen(
                    f"{url}/minio/health/cluster",
                    context=__import__("ssl").create_default_context(cafile=str(ca)),
                    timeout=2,
                )
                if ready.status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "minio server did not come up"
            time.sleep(0.3)
        yield {"url": url, "ca": str(ca), "endpoint": f"127.0.0.1:{port}"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(server, name, args, *flags, secret=ROOT_PASSWORD):
    connection = {"url": server["url"], "ca_cert": server["ca"],
                  "access_key": ROOT_USER, "secret_key": secret}  # fmt: skip
    return ansible_module(name, {**connection, **args}, {}, *flags)


def s3(server, access_key, secret_key):
    import urllib3

    http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=server["ca"])
    return Minio(server["endpoint"], access_key, secret_key, secure=True, http_client=http)


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
         "Resource": ["arn:aws:s3:::vault-snapshots"]},
        {"Effect": "Allow", "Action": "s3:*Object",
         "Resource": "arn:aws:s3:::vault-snapshots/*"},
    ],
}  # fmt: skip


def test_bucket_created_versioned_then_unchanged(minio):
    rc, res = run(minio, "minio_bucket", {"name": "vault-snapshots", "versioning": True}, "--check")
    assert rc == 0 and res["changed"] and res["versioning"] == "Enabled"
    assert not s3(minio, ROOT_USER, ROOT_PASSWORD).bucket_exists("vault-snapshots")
    rc, res = run(minio, "minio_bucket", {"name": "vault-snapshots", "versioning": True}, "--diff")
    assert rc == 0 and res["changed"], res
    assert res["diff"]["before"] == {"exists": False, "versioning": "Off"}
    client = s3(minio, ROOT_USER, ROOT_PASSWORD)
    assert client.get_bucket_versioning("vault-snapshots").status == "Enabled"
    rc, res = run(minio, "minio_bucket", {"name": "vault-snapshots", "versioning": True})
    assert rc == 0 and not res["changed"], res


def test_bucket_with_data_is_never_removed(minio):
    client = s3(minio, ROOT_USER, ROOT_PASSWORD)
    assert run(minio, "minio_bucket", {"name": "scratch"})[0] == 0
    client.put_object("scratch", "keep.txt", io.BytesIO(b"data"), 4)
    rc, res = run(minio, "minio_bucket", {"name": "scratch", "state": "absent"})
    assert rc != 0 and "still holds objects" in res["msg"], res
    assert client.stat_object("scratch", "keep.txt").size == 4
    client.remove_object("scratch", "keep.txt")
    rc, res = run(minio, "minio_bucket", {"name": "scratch", "state": "absent"})
    assert rc == 0 and res["changed"] and not client.bucket_exists("scratch")


def test_user_policy_secret_and_rotation(minio):
    user = {"name": "vault-backup", "secret": "first-secret-0123", "policy": POLICY}
    rc, res = run(minio, "minio_user", user, "--check")
    assert rc == 0 and res["changed"] and set(res["changes"]) == {"user", "policy", "attached"}
    rc, res = run(minio, "minio_user", user)
    assert rc == 0 and res["changed"], res
    assert "first-secret-0123" not in str(res)
    rc, res = run(minio, "minio_user", user)
    assert rc == 0 and not res["changed"], res

    backup = s3(minio, "vault-backup", "first-secret-0123")
    backup.put_object("vault-snapshots", "raft.snap", io.BytesIO(b"snapshot"), 8)
    assert backup.get_object("vault-snapshots", "raft.snap").read() == b"snapshot"
    with pytest.raises(S3Error) as denied:  # its policy names one bucket
        backup.make_bucket("elsewhere")
    assert denied.value.code == "AccessDenied"

    rc, res = run(minio, "minio_user", {**user, "secret": "second-secret-4567"})
    assert rc == 0 and res["changes"] == ["secret"], res
    with pytest.raises(S3Error) as refused:  # a GET: a HEAD's 403 would not say why
        s3(minio, "vault-backup", "first-secret-0123").list_objects("vault-snapshots").__next__()
    assert refused.value.code in {"SignatureDoesNotMatch", "InvalidAccessKeyId"}
    assert s3(minio, "vault-backup", "second-secret-4567").bucket_exists("vault-snapshots")


def test_policy_change_applies_and_absent_removes(minio):
    user = {"name": "reader", "secret": "reader-secret-0123", "policy": POLICY}
    assert run(minio, "minio_user", user)[0] == 0
    read_only = {**POLICY, "Statement": [*POLICY["Statement"][:1],
                 {"Effect": "Allow", "Action": ["s3:GetObject"],
                  "Resource": ["arn:aws:s3:::vault-snapshots/*"]}]}  # fmt: skip
    rc, res = run(minio, "minio_user", {**user, "policy": read_only}, "--diff")
    assert rc == 0 and res["changes"] == ["policy"], res
    reader = s3(minio, "reader", "reader-secret-0123")
    with pytest.raises(S3Error):
        reader.put_object("vault-snapshots", "x", io.BytesIO(b"x"), 1)
    rc, res = run(minio, "minio_user", {"name": "reader", "state": "absent"})
    assert rc == 0 and set(res["changes"]) == {"user", "policy"}
    rc, res = run(minio, "minio_user", {"name": "reader", "state": "absent"})
    assert rc == 0 and not res["changed"]


def test_bad_input_fails_early_and_clearly(minio):
    rc, res = run(minio, "minio_bucket", {"name": "nothing-made"}, secret="wrong-password-1")
    assert rc != 0 and "rejected the admin credentials" in res["msg"], res
    assert not s3(minio, ROOT_USER, ROOT_PASSWORD).bucket_exists("nothing-made")
    other_ca = _tls(Path(minio["ca"]).parent / "other" / "certs")  # a CA that signed nothing here
    rc, res = run({**minio, "ca": str(other_ca)}, "minio_bucket", {"name": "b-b-b"})
    assert rc != 0 and "set ca_cert to the CA that signed it" in res["msg"], res
    rc, res = run(minio, "minio_user", {"name": "short", "secret": "short", "policy": POLICY})
    assert rc != 0 and "8 to 40 characters" in res["msg"], res
    rc, res = run({**minio, "url": f"https://127.0.0.1:{_free_port()}"}, "minio_bucket",
                  {"name": "b-b-b"})  # fmt: skip
    assert rc != 0 and "unreachable" in res["msg"], res
