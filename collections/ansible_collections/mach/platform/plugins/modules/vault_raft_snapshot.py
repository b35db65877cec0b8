#!/usr/bin/python
"""A Raft snapshot of Vault, streamed into an S3 bucket (MinIO)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_raft_snapshot
short_description: Take a Raft snapshot of Vault and store it in an S3 bucket (MinIO)
version_added: 0.5.0
description:
  - Takes a snapshot of the Raft storage through Vault's API (C(sys/storage/raft/snapshot)) and
    uploads it to O(bucket) on an S3 server (the platform's MinIO) as
    C(<prefix><UTC timestamp>.snap), with its sha256 in the object's metadata. The snapshot is
    spooled to a temporary file on the controller (mode 0600) and removed afterwards.
  - O(url) must be the B(active) member, as a standby does not forward the snapshot stream.
  - Every run takes a new snapshot, so the task always reports a change; in check mode nothing is
    taken. A snapshot holds every secret, encrypted with Vault's keyring, so keep the bucket's
    access to the backup user, and versioning on.
  - O(keep) removes the oldest snapshots under O(prefix) beyond that count (in a versioned
    bucket they stay as noncurrent versions until the bucket's lifecycle expires them).
options:
  bucket:
    description: The bucket that receives the snapshot; it must exist.
    type: str
    required: true
  prefix:
    description: Object name prefix, e.g. C(raft/vault-).
    type: str
    default: vault-
  keep:
    description: How many snapshots under O(prefix) to keep (0 keeps all).
    type: int
    default: 0
  s3_url:
    description: The S3 endpoint, e.g. C(https://minio-a1.mach.example:9000).
    type: str
    required: true
  s3_access_key:
    description: Access key of a user that may write (and, with O(keep), delete) in O(bucket).
    type: str
    required: true
  s3_secret_key:
    description: Its secret key.
    type: str
    required: true
  s3_ca_cert:
    description: CA bundle to verify the S3 endpoint's certificate.
    type: path
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.vault
attributes:
  diff_mode:
    support: none
requirements:
  - minio >= 7.2
"""

EXAMPLES = r"""
- name: A Raft snapshot into MinIO
  mach.platform.vault_raft_snapshot:
    url: https://vault-a1.mach.example:8200
    token: "{{ vault_admin_token }}"
    ca_cert: /etc/mach/ca.crt
    bucket: vault-snapshots
    keep: 30
    s3_url: https://minio-a1.mach.example:9000
    s3_access_key: vault-snapshots
    s3_secret_key: "{{ vault_snapshots_secret }}"
    s3_ca_cert: /etc/mach/ca.crt
  delegate_to: localhost
"""

RETURN = r"""
object:
  description: The object name of the new snapshot (empty in check mode).
  returned: always
  type: str
size:
  description: The snapshot's size in bytes.
  returned: always
  type: int
sha256:
  description: The snapshot's sha256 (also the object's C(x-amz-meta-sha256)).
  returned: always
  type: str
removed:
  description: Older snapshots removed because of O(keep).
  returned: always
  type: list
  elements: str
"""

import hashlib
import tempfile
from datetime import datetime, timezone
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils import minio as s3
from ansible_collections.mach.platform.plugins.module_utils.vault import (
    VaultError,
    connection_spec,
    run_module,
)


def snapshot_to(client: Any, spool: Any) -> tuple[int, str]:
    """Stream the snapshot into `spool`; returns its size and sha256."""
    response = client.sys.take_raft_snapshot()
    if response.status_code != 200:
        raise VaultError(
            f"Vault refused the snapshot (HTTP {response.status_code}): give url of the active "
            "member and a token with sudo on sys/storage/raft/snapshot"
        )
    digest, size = hashlib.sha256(), 0
    for chunk in response.iter_content(chunk_size=1 << 20):
        spool.write(chunk)
        digest.update(chunk)
        size += len(chunk)
    spool.flush()
    if size == 0:
        raise VaultError("Vault returned an empty snapshot: is its storage Raft?")
    return size, digest.hexdigest()


def apply(module: AnsibleModule, client: Any) -> dict[str, Any]:
    p = module.params
    if not s3.HAS_MINIO:
        raise VaultError(f"the minio Python library is required: {s3.MINIO_IMPORT_ERROR}")
    try:
        store = s3.Server(
            {
                "url": p["s3_url"],
                "access_key": p["s3_access_key"],
                "secret_key": p["s3_secret_key"],
                "ca_cert": p["s3_ca_cert"],
                "validate_certs": p["validate_certs"],
                "timeout": p["timeout"],
            }
        )
        try:
            usable = store.s3.bucket_exists(p["bucket"])
        except s3.S3Error as exc:
            if exc.code != "AccessDenied":
                raise
            usable = False  # the user may not even look: as good as absent
        if not usable:
            raise VaultError(
                f"bucket {p['bucket']!r} does not exist on {p['s3_url']} or "
                f"{p['s3_access_key']!r} may not use it: create it (role minio) and give the "
                "user read-write access"
            )
    except s3.MinioModuleError as exc:
        raise VaultError(str(exc)) from exc
    result: dict[str, Any] = {"changed": True, "object": "", "size": 0, "sha256": "", "removed": []}
    if module.check_mode:
        return result
    name = f"{p['prefix']}{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S.%fZ')}.snap"
    with tempfile.NamedTemporaryFile(prefix="vault-snapshot-") as spool:
        size, sha256 = snapshot_to(client, spool)
        store.s3.fput_object(
            p["bucket"],
            name,
            spool.name,
            content_type="application/octet-stream",
            metadata={"sha256": sha256},
        )
    result.update(object=name, size=size, sha256=sha256)
    if p["keep"] > 0:
        listed = store.s3.list_objects(p["bucket"], prefix=p["prefix"])
        names = sorted(o.object_name for o in listed if o.object_name.endswith(".snap"))
        for old in names[: max(0, len(names) - p["keep"])]:
            store.s3.remove_object(p["bucket"], old)
            result["removed"].append(old)
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            bucket={"type": "str", "required": True},
            prefix={"type": "str", "default": "vault-"},
            keep={"type": "int", "default": 0},
            s3_url={"type": "str", "required": True},
            s3_access_key={"type": "str", "required": True, "no_log": False},
            s3_secret_key={"type": "str", "required": True, "no_log": True},
            s3_ca_cert={"type": "path"},
        ),
        supports_check_mode=True,
    )
    try:
        run_module(module, apply)
    except s3.API_ERRORS as exc:
        module.fail_json(msg=f"the snapshot did not reach the S3 bucket: {exc}")


if __name__ == "__main__":
    main()
