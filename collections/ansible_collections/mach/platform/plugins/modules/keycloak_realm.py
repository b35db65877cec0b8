#!/usr/bin/python
"""Apply one Keycloak realm specification idempotently; confidential clients' secrets go to
Vault KV (read before write)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: keycloak_realm
short_description: Apply a Keycloak realm specification (realm-as-code), secrets into Vault
version_added: 0.2.0
description:
  - Applies one realm spec - realm settings, realm roles, groups and their realm roles, client
    scopes, and clients - reading Keycloak first and writing only what differs, so a second run
    changes nothing. Objects not in the spec are left alone; a group's realm roles are made
    exactly the spec's.
  - The spec is checked strictly before anything is written. An unknown field anywhere, a
    duplicate name, a group naming a role the spec lacks, or a client naming an unknown scope
    fails with every problem and its path.
  - Each confidential client's secret is written to Vault KV v2 at
    C(<vault_kv_mount>/<vault_path_prefix>/<client_id>) under the key C(client_secret), only when
    it differs from what is stored. Secrets never appear in the result or the log.
  - community.general's keycloak_* modules manage one object each and know nothing of Vault,
    this module applies the whole spec as one unit and bridges the secrets.
options:
  auth_keycloak_url:
    description: Keycloak base URL, e.g. C(https://sso.mach.example:8443).
    type: str
    required: true
  auth_realm:
    description: Realm of the admin user.
    type: str
    default: master
  auth_username:
    description: Admin user.
    type: str
    required: true
  auth_password:
    description: Admin password.
    type: str
    required: true
  validate_certs:
    description: Verify Keycloak's and Vault's TLS certificates.
    type: bool
    default: true
  spec:
    description:
      - The realm spec. Keys C(realm) (name, required), C(settings) (display_name, enabled,
        ssl_required, registration_allowed, login_with_email_allowed, reset_password_allowed,
        remember_me, brute_force_protected, failure_factor, access_token_lifespan,
        sso_session_idle_timeout, sso_session_max_lifespan, events_enabled,
        admin_events_enabled), C(roles) (name, description), C(groups) (name, realm_roles),
        C(client_scopes) (name, description, protocol, audiences - the C(aud) values its
        clients' access tokens carry, e.g. C(vault)), C(clients) (client_id, name,
        description, confidential, service_accounts, standard_flow, direct_access_grants,
        redirect_uris, web_origins, default_client_scopes, service_account_roles - realm roles
        of the client's service account, of those in C(roles); other roles it holds, such as
        the realm's default roles, are left alone).
    type: dict
    required: true
  rotate_client_secrets:
    description:
      - Confidential clients (by C(client_id), all in the spec) whose secret Keycloak replaces
        in this run; the new secret reaches Vault in the same run. A rotation is an action, so
        a run with this set always reports a change.
      - A secret rotated outside this module (e.g. in the admin console) needs no option; the
        next run finds Vault's copy stale and rewrites it.
    type: list
    elements: str
    default: []
  vault_url:
    description: Vault (or OpenBao) address for the client secrets; none skips writing them.
    type: str
  vault_token:
    description: Vault token allowed to read and write the secrets' path.
    type: str
  vault_ca_cert:
    description: CA bundle for Vault.
    type: path
  vault_kv_mount:
    description: KV v2 mount.
    type: str
    default: kv
  vault_path_prefix:
    description: Path under the mount; defaults to C(keycloak/<realm>).
    type: str
requirements:
  - python-keycloak >= 7
  - hvac >= 2.0
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author:
  - MACH platform team
"""

EXAMPLES = r"""
- name: The platform realm, with a client per service
  mach.platform.keycloak_realm:
    auth_keycloak_url: https://sso.mach.example:8443
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    spec:
      realm: mach
      settings: {display_name: MACH, ssl_required: all, brute_force_protected: true}
      roles: [{name: platform-admin}]
      groups: [{name: operators, realm_roles: [platform-admin]}]
      client_scopes: [{name: services, description: calls between services}]
      clients:
        - {client_id: catalog, service_accounts: true, default_client_scopes: [services]}
        - {client_id: grafana, redirect_uris: ["https://grafana.mach.example/*"]}
    vault_url: https://vault.mach.example:8200
    vault_token: "{{ vault_keycloak_token }}"
  no_log: true

- name: Rotate the catalog client's secret; Vault gets the new one in the same run
  mach.platform.keycloak_realm:
    auth_keycloak_url: https://sso.mach.example:8443
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    spec: "{{ mach_realm_spec }}"
    rotate_client_secrets: [catalog]
    vault_url: https://vault.mach.example:8200
    vault_token: "{{ vault_keycloak_token }}"
  no_log: true
"""

RETURN = r"""
actions:
  description: What was (or, in check mode, would be) done, one line each.
  returned: always
  type: list
  elements: str
  sample: ["create realm mach", "create client catalog", "write secret of client catalog"]
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mach.platform.plugins.module_utils.realm_spec import (
    REALM_SETTINGS,
    SpecError,
    audience_mapper,
    client_representation,
    validate,
)
from ansible_collections.mach.platform.plugins.module_utils.vault import (
    API_ERRORS,
    VaultError,
    vault_client,
)

try:
    from keycloak import KeycloakAdmin
    from keycloak.exceptions import KeycloakError as _KeycloakError

    HAS_KEYCLOAK = True
    KEYCLOAK_ERRORS: tuple[type[Exception], ...] = (_KeycloakError,)
except ImportError:  # pragma: no cover - reported below
    HAS_KEYCLOAK = False
    KEYCLOAK_ERRORS = ()


class Realm:
    """Read-compare-write of one realm through python-keycloak; `actions` records changes."""

    def __init__(
        self, admin: Any, spec: dict[str, Any], check: bool, rotate: frozenset[str] = frozenset()
    ) -> None:
        self.admin, self.spec, self.check, self.rotate = admin, spec, check, rotate
        self.name = spec["realm"]
        self.actions: list[str] = []

    def act(self, what: str) -> bool:
        self.actions.append(what)
        return not self.check

    def realm(self) -> bool:
        """Realm and settings; False in check mode when the realm does not exist yet."""
        settings = {REALM_SETTINGS[k]: v for k, v in self.spec.get("settings", {}).items()}
        existing = {r["realm"] for r in self.admin.get_realms()}
        if self.name not in existing:
            if self.act(f"create realm {self.name}"):
                self.admin.create_realm({"realm": self.name, "enabled": True, **settings})
            else:
                return False
        else:
            current = self.admin.get_realm(self.name)
            differ = sorted(k for k, v in settings.items() if current.get(k) != v)
            if differ and self.act(f"update realm {self.name}: {', '.join(differ)}"):
                self.admin.update_realm(self.name, {k: settings[k] for k in differ})
        self.admin.change_current_realm(self.name)
        return True

    def roles(self) -> None:
        current = {r["name"]: r for r in self.admin.get_realm_roles(brief_representation=False)}
        for role in self.spec.get("roles", []):
            body = {"name": role["name"], "description": role.get("description", "")}
            have = current.get(role["name"])
            if have is None:
                if self.act(f"create role {role['name']}"):
                    self.admin.create_realm_role(body)
            elif (have.get("description") or "") != body["description"] and self.act(
                f"update role {role['name']}"
            ):
                self.admin.update_realm_role(role["name"], body)

    def groups(self) -> None:
        current = {g["name"]: g for g in self.admin.get_groups()}
        for group in self.spec.get("groups", []):
            have = current.get(group["name"])
            if have is None:
                if not self.act(f"create group {group['name']}"):
                    continue
                gid = self.admin.create_group({"name": group["name"]})
                mapped: set[str] = set()
            else:
                gid = have["id"]
                mapped = {r["name"] for r in self.admin.get_group_realm_roles(gid)}
            wanted = set(group.get("realm_roles", []))
            add, drop = sorted(wanted - mapped), sorted(mapped - wanted)
            if add and self.act(f"group {group['name']}: add realm roles {', '.join(add)}"):
                roles = [self.admin.get_realm_role(r) for r in add]
                self.admin.assign_group_realm_roles(gid, roles)
            if drop and self.act(f"group {group['name']}: remove realm roles {', '.join(drop)}"):
                roles = [self.admin.get_realm_role(r) for r in drop]
                self.admin.delete_group_realm_roles(gid, roles)

    def client_scopes(self) -> None:
        current = {s["name"]: s for s in self.admin.get_client_scopes()}
        for scope in self.spec.get("client_scopes", []):
            body = {
                "name": scope["name"],
                "description": scope.get("description", ""),
                "protocol": scope.get("protocol", "openid-connect"),
            }
            have = current.get(scope["name"])
            if have is None:
                if not self.act(f"create client scope {scope['name']}"):
                    for audience in scope.get("audiences", []):
                        self.act(f"client scope {scope['name']}: add audience {audience}")
                    continue
                scope_id = self.admin.create_client_scope(body)
            else:
                scope_id = have["id"]
                if any((have.get(k) or "") != v for k, v in body.items()) and self.act(
                    f"update client scope {scope['name']}"
                ):
                    self.admin.update_client_scope(scope_id, {**have, **body})
            self.audiences(scope["name"], scope_id, scope.get("audiences", []))

    def audiences(self, scope: str, scope_id: str, wanted: list[str]) -> None:
        """The scope's audience mappers are exactly `wanted` (one per audience)."""
        mappers = {
            m["name"]: m
            for m in self.admin.get_mappers_from_client_scope(scope_id)
            if m.get("protocolMapper") == "oidc-audience-mapper"
        }
        for audience in wanted:
            mapper = audience_mapper(audience)
            have = mappers.pop(mapper["name"], None)
            if have is None:
                if self.act(f"client scope {scope}: add audience {audience}"):
                    self.admin.add_mapper_to_client_scope(scope_id, mapper)
            elif any(
                have.get("config", {}).get(k) != v for k, v in mapper["config"].items()
            ) and self.act(f"client scope {scope}: update audience {audience}"):
                self.admin.update_mapper_in_client_scope(scope_id, have["id"], {**have, **mapper})
        for name, stale in mappers.items():
            if self.act(f"client scope {scope}: remove {name}"):
                self.admin.delete_mapper_from_client_scope(scope_id, stale["id"])

    def clients(self) -> dict[str, str]:
        """Clients; returns client_id -> secret of every confidential client."""
        current = {c["clientId"]: c for c in self.admin.get_clients()}
        secrets: dict[str, str] = {}
        for client in self.spec.get("clients", []):
            body = client_representation(client)
            have = current.get(body["clientId"])
            if have is None:
                scopes = client.get("default_client_scopes")
                create = {**body, **({"defaultClientScopes": scopes} if scopes else {})}
                if not self.act(f"create client {body['clientId']}"):
                    if body["serviceAccountsEnabled"]:
                        self.service_account_roles(body["clientId"], None, client)
                    continue
                uuid = self.admin.create_client(create)
            else:
                uuid = have["id"]
                differ = sorted(k for k, v in body.items() if _norm(have.get(k)) != _norm(v))
                if differ and self.act(f"update client {body['clientId']}: {', '.join(differ)}"):
                    self.admin.update_client(uuid, {**have, **body})
            if body["serviceAccountsEnabled"]:
                self.service_account_roles(body["clientId"], uuid, client)
            if body["publicClient"]:
                continue
            if (
                have is not None
                and body["clientId"] in self.rotate
                and self.act(f"rotate secret of client {body['clientId']}")
            ):
                self.admin.generate_client_secrets(uuid)
            if self.check and body["clientId"] in self.rotate:
                continue  # check mode: the rotated secret does not exist to compare
            secrets[body["clientId"]] = self.admin.get_client_secrets(uuid)["value"]
        return secrets

    def service_account_roles(
        self, client_id: str, uuid: str | None, client: dict[str, Any]
    ) -> None:
        """The service account holds exactly the spec's roles listed for it, of those in
        `roles` (None: check mode, the client is not created yet)."""
        wanted = set(client.get("service_account_roles", []))
        managed = {r["name"] for r in self.spec.get("roles", [])}
        user, held = None, set()
        if uuid is not None:
            user = self.admin.get_client_service_account_user(uuid)["id"]
            held = {r["name"] for r in self.admin.get_realm_roles_of_user(user)} & managed
        add, drop = sorted(wanted - held), sorted(held - wanted)
        if add and self.act(f"client {client_id}: grant its service account {', '.join(add)}"):
            self.admin.assign_realm_roles(user, [self.admin.get_realm_role(r) for r in add])
        if drop and self.act(
            f"client {client_id}: revoke from its service account {', '.join(drop)}"
        ):
            roles = [self.admin.get_realm_role(r) for r in drop]
            self.admin.delete_realm_roles_of_user(user, roles)


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(value)
    return "" if value is None else value


def store_secrets(module: AnsibleModule, realm: Realm, secrets: dict[str, str]) -> None:
    params = module.params
    if not params["vault_url"] or not secrets:
        return
    client = vault_client(
        {
            "url": params["vault_url"],
            "token": params["vault_token"],
            "ca_cert": params["vault_ca_cert"],
            "validate_certs": params["validate_certs"],
            "timeout": 30,
        }
    )
    mount = params["vault_kv_mount"]
    prefix = params["vault_path_prefix"] or f"keycloak/{realm.name}"
    for client_id, secret in sorted(secrets.items()):
        path = f"{prefix}/{client_id}"
        try:
            stored = client.secrets.kv.v2.read_secret_version(
                path=path, mount_point=mount, raise_on_deleted_version=True
            )["data"]["data"]
        except API_ERRORS:
            stored = {}
        if stored.get("client_secret") != secret and realm.act(
            f"write secret of client {client_id} to {mount}/{path}"
        ):
            client.secrets.kv.v2.create_or_update_secret(
                path=path, mount_point=mount, secret={**stored, "client_secret": secret}
            )


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "auth_keycloak_url": {"type": "str", "required": True},
            "auth_realm": {"type": "str", "default": "master"},
            "auth_username": {"type": "str", "required": True},
            "auth_password": {"type": "str", "required": True, "no_log": True},
            "validate_certs": {"type": "bool", "default": True},
            "spec": {"type": "dict", "required": True},
            "rotate_client_secrets": {"type": "list", "elements": "str", "default": []},
            "vault_url": {"type": "str"},
            "vault_token": {"type": "str", "no_log": True},
            "vault_ca_cert": {"type": "path"},
            "vault_kv_mount": {"type": "str", "default": "kv"},
            "vault_path_prefix": {"type": "str"},
        },
        required_by={"vault_url": ["vault_token"]},
        supports_check_mode=True,
    )
    if not HAS_KEYCLOAK:
        module.fail_json(msg="the python-keycloak library is required")
    params = module.params
    try:
        validate(params["spec"])
        confidential = {
            c["client_id"] for c in params["spec"].get("clients", []) if c.get("confidential", True)
        }
        unknown = sorted(set(params["rotate_client_secrets"]) - confidential)
        if unknown:
            raise SpecError(
                f"rotate_client_secrets: {unknown} are not confidential clients of the spec "
                f"(those are {sorted(confidential)})"
            )
        admin = KeycloakAdmin(
            server_url=params["auth_keycloak_url"],
            username=params["auth_username"],
            password=params["auth_password"],
            realm_name=params["auth_realm"],
            user_realm_name=params["auth_realm"],
            verify=params["validate_certs"],
        )
        rotate = frozenset(params["rotate_client_secrets"])
        realm = Realm(admin, params["spec"], module.check_mode, rotate)
        if realm.realm():
            realm.roles()
            realm.groups()
            realm.client_scopes()
            store_secrets(module, realm, realm.clients())
        else:  # check mode, new realm: everything in the spec would be created
            for section, key in (("roles", "name"), ("groups", "name"),
                                 ("client_scopes", "name"), ("clients", "client_id")):  # fmt: skip
                for item in params["spec"].get(section, []):
                    realm.act(f"create {section.rstrip('s').replace('_', ' ')} {item[key]}")
    except SpecError as exc:
        module.fail_json(msg=str(exc))
    except VaultError as exc:
        module.fail_json(msg=f"client secrets not stored: {exc}")
    except KEYCLOAK_ERRORS as exc:
        module.fail_json(msg=f"Keycloak at {params['auth_keycloak_url']} refused: {exc}")
    diff = {"before": "", "after": "\n".join(realm.actions) + "\n"} if realm.actions else {}
    module.exit_json(changed=bool(realm.actions), actions=realm.actions, diff=diff)


if __name__ == "__main__":
    main()
