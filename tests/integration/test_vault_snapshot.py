"""mach.platform.vault_raft_snapshot against a real OpenBao (Raft storage) and a real MinIO,
both from the bundle: snapshots land in the bucket with their sha256, `keep` prunes the oldest,
and a snapshot fetched back from MinIO restores a secret into a fresh server (the recovery the
runbook describes)."""

import hashlib
import json
import time

import hvac
import pytest
from miniokit import run as minio_module
from miniokit import s3, start_minio
from vaultkit import module, start_bao

pytestmark = pytest.mark.artifacts

INIT = {"key_shares": 3, "key_threshold": 2, "allow_plaintext_keys": True}
USER = {
    "name": "vault-snapshots",
    "secret": "snapshot-secret-0123",
    "policy": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
             "Resource": ["arn:aws:s3:::vault-snapshots"]},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": ["arn:aws:s3:::vault-snapshots/*"]},
        ],
    },
}  # fmt: skip


def initialised(url, keys_file):
    """Initialise and unseal a fresh server; returns its init document."""
    assert module(url, "vault_init", {**INIT, "keys_file": str(keys_file)})[0] == 0
    assert module(url, "vault_unseal", {"keys_file": str(keys_file)})[0] == 0
    document = json.loads(keys_file.read_text())
    client = hvac.Client(url=url, token=document["root_token"])
    deadline = time.monotonic() + 30
    while not client.sys.read_health_status(method="GET").get("initialized"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    while True:  # a single Raft member elects itself leader shortly after unseal
        try:
            if client.sys.read_leader_status()["is_self"]:
                break
        except hvac.exceptions.VaultError:
            pass
        assert time.monotonic() < deadline, "no Raft leader"
        time.sleep(0.5)
    return document


def test_snapshots_to_minio_and_restore_into_a_fresh_server(tmp_path):
    with start_minio(tmp_path / "minio") as minio, start_bao(False, tmp_path / "bao") as url:
        assert (
            minio_module(minio, "minio_bucket", {"name": "vault-snapshots", "versioning": True})[0]
            == 0
        )
        assert minio_module(minio, "minio_user", USER)[0] == 0
        document = initialised(url, tmp_path / "init.json")
        token = document["root_token"]
        assert (
            module(url, "vault_secrets_engine", {"path": "secret", "type": "kv-v2"}, token=token)[0]
            == 0
        )
        client = hvac.Client(url=url, token=token)
        client.secrets.kv.v2.create_or_update_secret(path="platform/probe", secret={"v": "before"})

        args = {"bucket": "vault-snapshots", "keep": 2, "s3_url": minio["url"],
                "s3_ca_cert": minio["ca"], "s3_access_key": USER["name"],
                "s3_secret_key": USER["secret"]}  # fmt: skip
        rc, res = module(url, "vault_raft_snapshot", args, "--check", token=token)
        assert rc == 0 and res["changed"] and res["object"] == ""
        bucket = s3(minio)
        assert not list(bucket.list_objects("vault-snapshots"))

        taken = []
        for _ in range(3):
            rc, res = module(url, "vault_raft_snapshot", args, token=token)
            assert rc == 0 and res["changed"] and res["size"] > 0, res
            assert USER["secret"] not in json.dumps(res)
            taken.append(res)
        assert taken[2]["removed"] == [taken[0]["object"]]
        names = sorted(o.object_name for o in bucket.list_objects("vault-snapshots"))
        assert names == [taken[1]["object"], taken[2]["object"]]
        newest = taken[2]
        stored = bucket.get_object("vault-snapshots", newest["object"]).read()
        assert hashlib.sha256(stored).hexdigest() == newest["sha256"]
        stat = bucket.stat_object("vault-snapshots", newest["object"])
        assert stat.metadata["x-amz-meta-sha256"] == newest["sha256"]

        client.secrets.kv.v2.create_or_update_secret(path="platform/probe", secret={"v": "after"})

        # Recovery: a fresh server, then the snapshot from MinIO; the old keys unseal it.
        with start_bao(False, tmp_path / "fresh") as fresh:
            other = initialised(fresh, tmp_path / "fresh-init.json")
            restore = hvac.Client(url=fresh, token=other["root_token"])
            answer = restore.sys.force_restore_raft_snapshot(stored)
            assert answer.status_code in (200, 204), answer.text
            deadline = time.monotonic() + 30
            while not restore.sys.read_seal_status()["sealed"]:
                assert time.monotonic() < deadline, "the restored server did not seal"
                time.sleep(0.5)
            assert module(fresh, "vault_unseal", {"keys_file": str(tmp_path / "init.json")})[0] == 0
            recovered = hvac.Client(url=fresh, token=token)
            deadline = time.monotonic() + 30
            while True:
                try:
                    secret = recovered.secrets.kv.v2.read_secret_version(
                        path="platform/probe", raise_on_deleted_version=True
                    )
                    break
                except hvac.exceptions.VaultError:
                    assert time.monotonic() < deadline, "the restored secret is not readable"
                    time.sleep(0.5)
            assert secret["data"]["data"] == {"v": "before"}  # the snapshot's state


def test_bad_credentials_or_bucket_fail_before_any_snapshot(tmp_path):
    with start_minio(tmp_path / "minio") as minio, start_bao(True) as url:
        assert minio_module(minio, "minio_bucket", {"name": "vault-snapshots"})[0] == 0
        assert minio_module(minio, "minio_user", USER)[0] == 0
        args = {"bucket": "vault-snapshots", "s3_url": minio["url"], "s3_ca_cert": minio["ca"],
                "s3_access_key": USER["name"], "s3_secret_key": "not-the-secret-1"}  # fmt: skip
        rc, res = module(url, "vault_raft_snapshot", args)
        assert rc != 0 and "rejected the credentials of 'vault-snapshots'" in res["msg"], res
        rc, res = module(url, "vault_raft_snapshot", {**args, "s3_secret_key": USER["secret"],
                                                      "bucket": "nowhere"})  # fmt: skip
        assert rc != 0 and "bucket 'nowhere' does not exist" in res["msg"], res
        # A dev server keeps its storage in memory: Vault refuses the snapshot, and says why.
        rc, res = module(url, "vault_raft_snapshot", {**args, "s3_secret_key": USER["secret"]})
        assert rc != 0 and "snapshot" in res["msg"], res
        assert not list(s3(minio).list_objects("vault-snapshots"))
