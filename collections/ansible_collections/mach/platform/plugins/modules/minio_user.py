#!/usr/bin/python
"""A MinIO user with its own policy, read-compare-write."""

from __future__ import annotations

DOCUMENTATION = r"""
module: minio_user
short_description: A MinIO user, its secret key and the one policy it is given
version_added: 0.5.0
description:
  - Makes sure the user O(name) exists, is enabled, authenticates with O(secret) and has exactly
    the canned policy O(policy_name) attached, whose document is O(policy).
  - MinIO never returns a user's secret key; the module compares it by signing one request with
    the user's credentials, and resets it only when the server refuses them.
  - O(state=absent) removes the user and its canned policy.
options:
  name:
    description: The user's access key.
    type: str
    required: true
  secret:
    description: The user's secret key (8 to 40 characters). Required when O(state=present).
    type: str
  policy:
    description:
      - The IAM policy document (C(Version), C(Statement)) of the user's canned policy.
        Required when O(state=present).
    type: dict
  policy_name:
    description: The canned policy's name; defaults to O(name).
    type: str
  state:
    description: Whether the user should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.minio
"""

EXAMPLES = r"""
- name: pgBackRest may read and write its bucket only
  mach.platform.minio_user:
    url: https://minio-a1.mach.example:9000
    access_key: admin
    secret_key: "{{ minio_root_password }}"
    name: pgbackrest
    secret: "{{ pgbackrest_s3_secret }}"
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["s3:GetBucketLocation", "s3:ListBucket"]
          Resource: ["arn:aws:s3:::pgbackrest"]
        - Effect: Allow
          Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
          Resource: ["arn:aws:s3:::pgbackrest/*"]
  no_log: true
"""

RETURN = r"""
name:
  description: The user's access key.
  returned: always
  type: str
changes:
  description: What the run changed (or would change), e.g. C(secret), C(policy), C(attached).
  returned: always
  type: list
  elements: str
"""

import json
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.minio import (
    MinioModuleError,
    admin_status,
    connection_spec,
    run_module,
)


def _listed(value: Any) -> list[str]:
    return sorted(str(v) for v in (value if isinstance(value, list) else [value]))


def normalise(document: dict[str, Any] | None) -> Any:
    """A policy as MinIO compares it: single values and lists alike, in any order."""
    if document is None:
        return None
    statements = []
    for statement in document.get("Statement", []):
        statements.append(
            {
                k: _listed(v) if k in {"Action", "NotAction", "Resource", "NotResource"} else v
                for k, v in statement.items()
                if k != "Sid"
            }
        )
    return sorted(json.dumps(s, sort_keys=True) for s in statements)


def read_json(call: Any, *missing: str) -> dict[str, Any] | None:
    """An admin read, or None when MinIO answers that it does not exist."""
    try:
        return dict(json.loads(call()))
    except Exception as exc:
        if admin_status(exc)[1] in missing:
            return None
        raise


def check_input(p: dict[str, Any]) -> None:
    if p["state"] == "absent":
        return
    if not p["secret"] or not 8 <= len(p["secret"]) <= 40:
        raise MinioModuleError(f"secret of {p['name']!r} must be 8 to 40 characters")
    if not p["policy"] or not isinstance(p["policy"].get("Statement"), list):
        raise MinioModuleError(f"policy of {p['name']!r} needs a Statement list")


def apply(module: AnsibleModule, server: Any) -> dict[str, Any]:
    p = module.params
    name, policy_name = p["name"], p["policy_name"] or p["name"]
    check_input(p)
    adm = server.admin
    user = read_json(lambda: adm.user_info(name), "XMinioAdminNoSuchUser")
    current = read_json(lambda: adm.policy_info(policy_name), "XMinioAdminNoSuchPolicy")
    attached = sorted(filter(None, ((user or {}).get("policyName") or "").split(",")))
    changes: list[str] = []
    if p["state"] == "absent":
        changes = (["user"] if user else []) + (["policy"] if current else [])
        if changes and not module.check_mode:
            if user:
                adm.user_remove(name)
            if current:
                adm.policy_remove(policy_name)
        return {"changed": bool(changes), "name": name, "changes": changes}
    if normalise(current) != normalise(p["policy"]):
        changes.append("policy")
    if user is None or not server.accepts(name, p["secret"]):
        changes.append("secret" if user else "user")
    if user and user.get("status") != "enabled":
        changes.append("enabled")
    if attached != [policy_name]:
        changes.append("attached")
    result: dict[str, Any] = {"changed": bool(changes), "name": name, "changes": changes}
    if changes:
        result["diff"] = {
            "before": {"exists": user is not None, "policies": attached, "policy": current},
            "after": {"exists": True, "policies": [policy_name], "policy": p["policy"]},
        }
    if not changes or module.check_mode:
        return result
    if "policy" in changes:
        adm.policy_add(policy_name, policy=p["policy"])
    if {"user", "secret"} & set(changes):
        adm.user_add(name, p["secret"])  # sets the secret and enables the user
    elif "enabled" in changes:
        adm.user_enable(name)
    if "attached" in changes:
        stale = [a for a in attached if a != policy_name]
        if stale:
            adm.detach_policy(stale, user=name)
        if policy_name not in attached:
            adm.attach_policy([policy_name], user=name)
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            name={"type": "str", "required": True},
            secret={"type": "str", "no_log": True},
            policy={"type": "dict"},
            policy_name={"type": "str"},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        ),
        required_if=[("state", "present", ["secret", "policy"])],
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
