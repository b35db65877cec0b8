#!/usr/bin/python
"""A MinIO bucket and its versioning, read-compare-write."""

from __future__ import annotations

DOCUMENTATION = r"""
module: minio_bucket
short_description: Create a MinIO bucket, set its versioning, or remove it when empty
version_added: 0.5.0
description:
  - Makes sure the bucket O(name) exists with the wanted versioning. Backup buckets (pgBackRest,
    Vault snapshots) keep versioning on, so an overwritten or deleted backup can be recovered.
  - O(state=absent) removes the bucket only when it holds no object and no object version; a
    bucket with data is refused, so nothing is lost by a mistaken spec.
options:
  name:
    description: The bucket's name (S3 rules, 3 to 63 characters).
    type: str
    required: true
  versioning:
    description:
      - V(true) enables versioning, V(false) suspends it (S3 cannot return a bucket to
        "never versioned"). Omitted, versioning is left as it is.
    type: bool
  state:
    description: Whether the bucket should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.minio
"""

EXAMPLES = r"""
- name: The pgBackRest repository bucket, versioned
  mach.platform.minio_bucket:
    url: https://minio-a1.mach.example:9000
    access_key: admin
    secret_key: "{{ minio_root_password }}"
    ca_cert: /etc/mach/ca.crt
    name: pgbackrest
    versioning: true
"""

RETURN = r"""
name:
  description: The bucket's name.
  returned: always
  type: str
versioning:
  description: The bucket's versioning after the run (C(Enabled), C(Suspended) or C(Off)).
  returned: always
  type: str
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.minio import (
    MinioModuleError,
    VersioningConfig,
    connection_spec,
    run_module,
)

ENABLED = "Enabled"  # S3's versioning states
SUSPENDED = "Suspended"


def versioning_of(server: Any, name: str) -> str:
    return server.s3.get_bucket_versioning(name).status or "Off"


def apply(module: AnsibleModule, server: Any) -> dict[str, Any]:
    name, state, wanted = module.params["name"], module.params["state"], module.params["versioning"]
    exists = server.s3.bucket_exists(name)
    before = {"exists": exists, "versioning": versioning_of(server, name) if exists else "Off"}
    after = dict(before)
    if state == "absent":
        if exists:
            if next(iter(server.s3.list_objects(name, include_version=True)), None) is not None:
                raise MinioModuleError(
                    f"bucket {name!r} still holds objects: empty it first (nothing was removed)"
                )
            after = {"exists": False, "versioning": "Off"}
            if not module.check_mode:
                server.s3.remove_bucket(name)
    else:
        if not exists:
            after["exists"] = True
            if not module.check_mode:
                server.s3.make_bucket(name)
        target = None if wanted is None else (ENABLED if wanted else SUSPENDED)
        # Suspending a bucket that never had versioning changes nothing.
        never = target == SUSPENDED and after["versioning"] == "Off"
        if target and not never and after["versioning"] != target:
            after["versioning"] = target
            if not module.check_mode:
                server.s3.set_bucket_versioning(name, VersioningConfig(target))
    changed = after != before
    result: dict[str, Any] = {"changed": changed, "name": name, "versioning": after["versioning"]}
    if changed:
        result["diff"] = {"before": before, "after": after}
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            name={"type": "str", "required": True},
            versioning={"type": "bool"},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        ),
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
