"""mach.platform.minio_bucket and minio_user against a real MinIO server from the bundle,
started by the fixture over TLS (a CA made for the test): read-compare-write, check mode, a
second run without change, and what a user may and may not do with its credentials."""

import io
from pathlib import Path

import pytest
from minio.error import S3Error
from miniokit import ROOT_PASSWORD, ROOT_USER, _tls, run, s3, start_minio
from vaultkit import _free_port

pytestmark = pytest.mark.artifacts


@pytest.fixture(scope="module")
def minio(tmp_path_factory):
    with start_minio(tmp_path_factory.mktemp("minio")) as server:
        yield server


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
    assert rc != 0 and "rejected the credentials of" in res["msg"], res
    assert not s3(minio, ROOT_USER, ROOT_PASSWORD).bucket_exists("nothing-made")
    other_ca = _tls(Path(minio["ca"]).parent / "other" / "certs")  # a CA that signed nothing here
    rc, res = run({**minio, "ca": str(other_ca)}, "minio_bucket", {"name": "b-b-b"})
    assert rc != 0 and "set ca_cert to the CA that signed it" in res["msg"], res
    rc, res = run(minio, "minio_user", {"name": "short", "secret": "short", "policy": POLICY})
    assert rc != 0 and "8 to 40 characters" in res["msg"], res
    rc, res = run({**minio, "url": f"https://127.0.0.1:{_free_port()}"}, "minio_bucket",
                  {"name": "b-b-b"})  # fmt: skip
    assert rc != 0 and "unreachable" in res["msg"], res
