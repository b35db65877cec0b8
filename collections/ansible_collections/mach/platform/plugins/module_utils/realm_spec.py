"""The Keycloak realm specification of mach.platform.keycloak_realm: its schema (strict: an
unknown field anywhere is an error naming its path), and the mapping to Keycloak's names."""

from __future__ import annotations

from typing import Any

# Realm settings the spec may set: spec name -> Keycloak representation name.
REALM_SETTINGS = {
    "display_name": "displayName",
    "enabled": "enabled",
    "ssl_required": "sslRequired",
    "registration_allowed": "registrationAllowed",
    "login_with_email_allowed": "loginWithEmailAllowed",
    "reset_password_allowed": "resetPasswordAllowed",
    "remember_me": "rememberMe",
    "brute_force_protected": "bruteForceProtected",
    "failure_factor": "failureFactor",
    "access_token_lifespan": "accessTokenLifespan",
    "sso_session_idle_timeout": "ssoSessionIdleTimeout",
    "sso_session_max_lifespan": "ssoSessionMaxLifespan",
    "events_enabled": "eventsEnabled",
    "admin_events_enabled": "adminEventsEnabled",
}
TOP = {"realm", "settings", "roles", "groups", "client_scopes", "clients"}
ROLE = {"name", "description"}
GROUP = {"name", "realm_roles"}
SCOPE = {"name", "description", "protocol", "audiences"}
CLIENT = {
    "client_id",
    "name",
    "description",
    "confidential",
    "service_accounts",
    "standard_flow",
    "direct_access_grants",
    "redirect_uris",
    "web_origins",
    "default_client_scopes",
    "service_account_roles",
}


class SpecError(ValueError):
    """The spec is wrong; the message lists every problem with its path."""


def _unknown(where: str, item: Any, allowed: set[str], problems: list[str]) -> None:
    if not isinstance(item, dict):
        problems.append(f"{where}: expected a mapping, got {type(item).__name__}")
        return
    for key in sorted(set(item) - allowed):
        problems.append(f"{where}.{key}: unknown field (allowed: {', '.join(sorted(allowed))})")


def validate(spec: Any) -> None:
    """Raise SpecError listing every problem; say nothing when the spec is sound."""
    problems: list[str] = []
    _unknown("spec", spec, TOP, problems)
    if not isinstance(spec, dict):
        raise SpecError("; ".join(problems))
    if not spec.get("realm") or not isinstance(spec["realm"], str):
        problems.append("spec.realm: required, the realm's name")
    _unknown("spec.settings", spec.get("settings", {}), set(REALM_SETTINGS), problems)
    roles = {r.get("name") for r in spec.get("roles", []) if isinstance(r, dict)}
    scopes = {s.get("name") for s in spec.get("client_scopes", []) if isinstance(s, dict)}
    for section, allowed, key in (
        ("roles", ROLE, "name"),
        ("groups", GROUP, "name"),
        ("client_scopes", SCOPE, "name"),
        ("clients", CLIENT, "client_id"),
    ):
        seen: set[str] = set()
        for i, item in enumerate(spec.get(section, [])):
            where = f"spec.{section}[{i}]"
            _unknown(where, item, allowed, problems)
            if not isinstance(item, dict):
                continue
            name = item.get(key)
            if not name:
                problems.append(f"{where}.{key}: required")
            elif name in seen:
                problems.append(f"{where}.{key}: {name!r} appears twice")
            else:
                seen.add(str(name))
            for field in ("realm_roles", "service_account_roles"):
                for role in item.get(field, []):
                    if role not in roles:
                        problems.append(f"{where}.{field}: {role!r} is not in spec.roles")
            if item.get("service_account_roles") and not item.get("service_accounts"):
                problems.append(f"{where}.service_account_roles: needs service_accounts: true")
            for scope in item.get("default_client_scopes", []):
                if scope not in scopes and scope not in BUILTIN_SCOPES:
                    problems.append(
                        f"{where}.default_client_scopes: {scope!r} is neither in "
                        "spec.client_scopes nor a built-in scope"
                    )
    if problems:
        raise SpecError("realm spec: " + "; ".join(problems))


BUILTIN_SCOPES = {"openid", "profile", "email", "roles", "web-origins", "acr", "basic"}


def audience_mapper(audience: str) -> dict[str, Any]:
    """The protocol mapper that puts `audience` into the access tokens of a client scope's
    clients (what a relying party such as Vault binds to)."""
    return {
        "name": f"audience {audience}",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-audience-mapper",
        "config": {
            "included.custom.audience": audience,
            "access.token.claim": "true",
            "id.token.claim": "false",
            "introspection.token.claim": "true",
        },
    }


def client_representation(client: dict[str, Any]) -> dict[str, Any]:
    """The Keycloak representation of the fields the spec manages for one client."""
    confidential = client.get("confidential", True)
    return {
        "clientId": client["client_id"],
        "name": client.get("name", client["client_id"]),
        "description": client.get("description", ""),
        "protocol": "openid-connect",
        "publicClient": not confidential,
        "serviceAccountsEnabled": bool(client.get("service_accounts", False)),
        "standardFlowEnabled": bool(client.get("standard_flow", bool(client.get("redirect_uris")))),
        "directAccessGrantsEnabled": bool(client.get("direct_access_grants", False)),
        "redirectUris": sorted(client.get("redirect_uris", [])),
        "webOrigins": sorted(client.get("web_origins", [])),
    }
