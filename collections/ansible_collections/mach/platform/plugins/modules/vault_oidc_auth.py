#!/usr/bin/python
"""Configure a Vault (or OpenBao) JWT/OIDC auth method and its roles: read, compare, write."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_oidc_auth
short_description: Configure a Vault or OpenBao JWT/OIDC auth method (e.g. against Keycloak)
version_added: 0.4.0
description:
  - Sets the configuration of a C(jwt) or C(oidc) auth mount (enabled first with
    M(mach.platform.vault_auth_method)) and its roles, so that tokens of an identity provider
    such as Keycloak log in to Vault - people through the browser (C(role_type=oidc)), services
    with their client-credentials tokens (C(role_type=jwt)).
  - The configuration and each role are read first and written only when a given setting
    differs; settings not given keep the server's values. Lists compare sorted, TTLs in
    seconds. Vault never returns O(client_secret), so it is sent when the configuration is
    first written and, with O(update_client_secret=always), on every run.
  - Vault fetches the discovery document when the configuration is written, so an unreachable
    or wrong issuer fails the task and writes nothing. Roles not listed are left alone.
options:
  path:
    description: The auth mount's path under C(auth/), e.g. C(oidc) or C(jwt).
    type: str
    required: true
  config:
    description:
      - The mount's configuration as the API names it, e.g. C(oidc_discovery_url),
        C(oidc_client_id), C(bound_issuer), C(default_role), C(oidc_discovery_ca_pem),
        C(jwt_supported_algs).
    type: dict
    default: {}
  client_secret:
    description: The OIDC client's secret (C(oidc_client_secret)); see O(update_client_secret).
    type: str
  update_client_secret:
    description: C(on_create) sends O(client_secret) only with the first configuration; C(always)
      on every run (the task then reports a change).
    type: str
    choices: [on_create, always]
    default: on_create
  roles:
    description:
      - Roles as the API names their settings, each with a C(name), e.g. C(role_type),
        C(bound_audiences), C(bound_claims), C(user_claim), C(groups_claim),
        C(allowed_redirect_uris), C(oidc_scopes), C(token_policies), C(token_ttl),
        C(token_max_ttl).
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - mach.platform.common
  - mach.platform.vault
"""

EXAMPLES = r"""
- name: Services log in to Vault with their Keycloak client-credentials tokens
  mach.platform.vault_oidc_auth:
    path: jwt
    config:
      oidc_discovery_url: https://sso.mach.example:8443/realms/mach
      bound_issuer: https://sso.mach.example:8443/realms/mach
    roles:
      - name: catalog
        role_type: jwt
        bound_audiences: [vault]
        bound_claims: {azp: catalog}
        user_claim: azp
        token_policies: [svc-catalog]
        token_ttl: 15m

- name: Operators log in through the browser; Keycloak groups become Vault groups
  mach.platform.vault_oidc_auth:
    path: oidc
    config:
      oidc_discovery_url: https://sso.mach.example:8443/realms/mach
      oidc_client_id: vault
      default_role: operator
    client_secret: "{{ __vault_client.secret.client_secret }}"  # from Vault KV
    roles:
      - name: operator
        role_type: oidc
        user_claim: preferred_username
        groups_claim: groups
        allowed_redirect_uris: [https://vault.mach.example:8200/ui/vault/auth/oidc/oidc/callback]
        token_policies: [default]
"""

RETURN = r"""
changes:
  description: What was (or in check mode would be) written, one line each.
  returned: always
  type: list
  elements: str
  sample: ["config", "role catalog"]
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.vault import (
    InvalidPath,
    Mounts,
    VaultError,
    comparable_setting,
    connection_spec,
    run_module,
)

SECRET_KEYS = {"oidc_client_secret"}
LEEWAY_KEYS = {"clock_skew_leeway", "expiration_leeway", "not_before_leeway"}
LIST_KEYS = {
    "bound_audiences",
    "allowed_redirect_uris",
    "token_policies",
    "oidc_scopes",
    "jwt_supported_algs",
}


def comparable(key: str, value: Any) -> Any:
    """A setting as compared: TTLs and leeways in seconds, lists sorted, maps key by key, other
    scalars as text."""
    duration = key.endswith("_ttl") or key in LEEWAY_KEYS
    if isinstance(value, dict) and not duration:
        return {str(k): comparable(str(k), v) for k, v in sorted(value.items())}
    same = comparable_setting(value, duration=duration, name_list=key in LIST_KEYS)
    return same if same is None or duration or isinstance(same, list) else str(same)


def differences(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    out = {}
    for key, value in wanted.items():
        have, want = comparable(key, current.get(key)), comparable(key, value)
        if have != want and not (have in (None, [], "") and want in (None, [], "")):
            out[key] = (have, want)
    return out


def read(client: Any, path: str) -> dict[str, Any] | None:
    try:
        body = client.read(path)
    except InvalidPath:
        return None
    return dict(body["data"]) if body and body.get("data") else None


def apply(module: AnsibleModule, client: Any) -> dict[str, Any]:
    p = module.params
    mount = p["path"].strip("/")
    have = Mounts(client, "auth").read().get(mount)
    if have is None or have.get("type") not in ("jwt", "oidc"):
        found = f"a {have['type']!r} method" if have else "nothing"
        raise VaultError(
            f"auth/{mount} holds {found}, not a jwt or oidc method: enable one there first "
            "(mach.platform.vault_auth_method)"
        )
    secret_given = [k for k in p["config"] if k in SECRET_KEYS]
    if secret_given:
        raise VaultError(f"give {secret_given[0]} as client_secret (never logged), not in config")
    names = [r.get("name") for r in p["roles"]]
    if not all(names) or len(set(names)) != len(names):
        raise VaultError(f"every role needs a distinct name; got {names}")

    changes: list[str] = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    config_path = f"auth/{mount}/config"
    current = read(client, config_path)
    configured = bool(current and (current.get("oidc_discovery_url") or current.get("jwks_url")
                                   or current.get("jwt_validation_pubkeys")))  # fmt: skip
    diff = differences(current or {}, p["config"])
    send_secret = bool(p["client_secret"]) and (
        not configured or p["update_client_secret"] == "always"  # noqa: S105 - a choice
    )
    if diff or not configured or send_secret:
        changes.append("config")
        before["config"] = {k: v[0] for k, v in diff.items()}
        after["config"] = {k: v[1] for k, v in diff.items()}
        if not module.check_mode:
            body = dict(p["config"])
            if send_secret:
                body["oidc_client_secret"] = p["client_secret"]
            # Unlike a role, the configuration is replaced whole: keep what is not given.
            keep = {
                k: v for k, v in (current or {}).items() if k not in body and v not in ("", None)
            }
            client.write_data(config_path, data={**keep, **body})

    for role in p["roles"]:
        settings = {k: v for k, v in role.items() if k != "name"}
        role_path = f"auth/{mount}/role/{role['name']}"
        current_role = read(client, role_path)
        diff = differences(current_role or {}, settings)
        if current_role is None or diff:
            changes.append(f"role {role['name']}")
            before[f"role {role['name']}"] = {k: v[0] for k, v in diff.items()}
            after[f"role {role['name']}"] = {k: v[1] for k, v in diff.items()}
            if not module.check_mode:
                client.write_data(role_path, data=settings)
    result: dict[str, Any] = {"changed": bool(changes), "changes": changes}
    if changes:
        result["diff"] = {"before": before, "after": after}
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_spec(
            path={"type": "str", "required": True},
            config={"type": "dict", "default": {}},
            client_secret={"type": "str", "no_log": True},
            update_client_secret={
                "type": "str",
                "choices": ["on_create", "always"],
                "default": "on_create",
                "no_log": False,
            },
            roles={"type": "list", "elements": "dict", "default": []},
        ),
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == "__main__":
    main()
