"""Shared client handling for the mach.platform Vault modules (hvac).

Every module builds its client through `vault_client`, which turns the usual failures into one
clear message naming what to fix: the server unreachable, sealed or uninitialised, or the token
rejected. Nothing is written before these checks pass.
"""

from __future__ import annotations

import os
from typing import Any

from ansible_collections.mach.platform.plugins.module_utils.common import reason

try:
    import hvac
    import hvac.exceptions
    import requests

    HAS_HVAC = True
    HVAC_IMPORT_ERROR = None
    InvalidRequest = hvac.exceptions.InvalidRequest
    InvalidPath = hvac.exceptions.InvalidPath
    API_ERRORS: tuple[type[Exception], ...] = (
        hvac.exceptions.VaultError,
        requests.exceptions.RequestException,
    )
except ImportError as exc:  # pragma: no cover - reported by the module
    HAS_HVAC = False
    HVAC_IMPORT_ERROR = exc
    API_ERRORS = ()
    InvalidRequest = RuntimeError
    InvalidPath = LookupError

Cfg = dict[str, Any]

CONNECTION_ARGS: dict[str, dict[str, Any]] = {
    "url": {"type": "str"},
    "token": {"type": "str", "no_log": True},
    "ca_cert": {"type": "path"},
    "validate_certs": {"type": "bool", "default": True},
    "timeout": {"type": "int", "default": 30},
}


class VaultError(Exception):
    """A failure whose message tells the operator what to fix."""


def connection_spec(**extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**CONNECTION_ARGS, **extra}


def _verify(params: dict[str, Any]) -> bool | str:
    if not params.get("validate_certs", True):
        return False
    ca = params.get("ca_cert") or os.environ.get("VAULT_CACERT")
    return ca or True


def unauthenticated_client(params: dict[str, Any]) -> hvac.Client:
    url = params.get("url") or os.environ.get("VAULT_ADDR")
    if not url:
        raise VaultError("no Vault address: set url (or VAULT_ADDR)")
    return hvac.Client(url=url, verify=_verify(params), timeout=params.get("timeout", 30))


def seal_status(client: hvac.Client) -> dict[str, Any]:
    try:
        status: dict[str, Any] = client.sys.read_seal_status()
        return status
    except requests.exceptions.ConnectionError as exc:
        raise VaultError(f"Vault at {client.url} is unreachable: {reason(exc)}") from exc
    except requests.exceptions.SSLError as exc:  # pragma: no cover - subclass order
        raise VaultError(
            f"TLS to {client.url} failed ({reason(exc)}): set ca_cert to the CA that signed it"
        ) from exc


def vault_client(params: dict[str, Any]) -> hvac.Client:
    """An authenticated client for an initialised, unsealed server, or VaultError."""
    client = unauthenticated_client(params)
    status = seal_status(client)
    if not status.get("initialized", True):
        raise VaultError(f"Vault at {client.url} is not initialised: run vault_init first")
    if status.get("sealed"):
        raise VaultError(
            f"Vault at {client.url} is sealed ({status.get('progress', 0)} of "
            f"{status.get('t')} key shares given): unseal it "
            "(playbooks/vault.yml -e mach_action=unseal)"
        )
    token = params.get("token") or os.environ.get("VAULT_TOKEN")
    if not token:
        raise VaultError("no Vault token: set token (or VAULT_TOKEN)")
    client.token = token
    try:
        client.auth.token.lookup_self()
    except hvac.exceptions.Forbidden as exc:
        raise VaultError(
            f"Vault at {client.url} rejected the token (expired, revoked or wrong): "
            "give a valid token"
        ) from exc
    return client


def run_module(module: Any, work: Any) -> None:
    """Run `work(module, client)` and exit with its result, every VaultError and hvac error
    as a clean failure (never a traceback)."""
    if not HAS_HVAC:
        module.fail_json(msg=f"the hvac Python library is required: {HVAC_IMPORT_ERROR}")
    try:
        client = vault_client(module.params)
        result = work(module, client)
    except VaultError as exc:
        module.fail_json(msg=str(exc))
    except hvac.exceptions.VaultError as exc:
        module.fail_json(msg=f"Vault refused the request: {exc}")
    module.exit_json(**result)


# --- mounts: secrets engines and auth methods share one read-compare-write path ----------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(value: Any) -> int:
    """A TTL as Vault reports it: '1h30m', '90s', '2d' or a number of seconds."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    total, number = 0, ""
    for char in text:
        if char.isdigit():
            number += char
        elif char in _UNITS and number:
            total += int(number) * _UNITS[char]
            number = ""
        else:
            raise VaultError(f"{value!r} is not a duration (use e.g. 3600, '1h', '768h', '30m')")
    if number:
        raise VaultError(f"{value!r} is not a duration: a unit (s, m, h, d) must follow {number}")
    return total


def comparable_setting(value: Any, *, duration: bool = False, name_list: bool = False) -> Any:
    """A setting as the modules compare it with what Vault returns: a duration in seconds
    ('72h' equals 259200), a name list (a comma string or a list) and any list sorted as text."""
    if value is None:
        return None
    if duration:
        return seconds(value or 0)
    if isinstance(value, str) and name_list:
        value = [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    return value


class Mounts:
    """sys/mounts (secrets engines) or sys/auth (auth methods) through hvac."""

    def __init__(self, client: hvac.Client, kind: str) -> None:
        self.client, self.kind = client, kind

    def read(self) -> dict[str, Any]:
        if self.kind == "secrets":
            body = self.client.sys.list_mounted_secrets_engines()
        else:
            body = self.client.sys.list_auth_methods()
        data = body.get("data", body)
        return {path.rstrip("/"): mount for path, mount in data.items() if isinstance(mount, dict)}

    def enable(
        self, path: str, mount_type: str, description: str, config: Cfg, options: Cfg
    ) -> None:
        if self.kind == "secrets":
            self.client.sys.enable_secrets_engine(
                backend_type=mount_type,
                path=path,
                description=description,
                config=config or None,
                options=options or None,
            )
        else:
            self.client.sys.enable_auth_method(
                method_type=mount_type, path=path, description=description, config=config or None
            )

    def tune(self, path: str, description: str | None, config: Cfg, options: Cfg) -> None:
        prefix = "" if self.kind == "secrets" else "auth/"
        self.client.sys.tune_mount_configuration(
            path=prefix + path,
            description=description,
            options=options or None,
            **config,
        )

    def disable(self, path: str) -> None:
        if self.kind == "secrets":
            self.client.sys.disable_secrets_engine(path)
        else:
            self.client.sys.disable_auth_method(path)


def listed(client: hvac.Client, parent: str) -> list[str]:
    """The names a LIST of `parent` returns (empty when there are none: Vault answers 404)."""
    body = client.list(parent) or {}
    return list(body.get("data", {}).get("keys", []))


def read_listed(client: hvac.Client, parent: str, name: str) -> dict[str, Any] | None:
    """The data of `parent/name`, or None when `parent` does not list it."""
    if name not in listed(client, parent):
        return None
    return dict(client.read(f"{parent}/{name}")["data"])


def require_mount(client: hvac.Client, path: str, mount_type: str) -> None:
    """Fail clearly, before any write, unless a secrets engine of `mount_type` is at `path`
    (`kv-v2` means a kv mount of version 2)."""
    mount = Mounts(client, "secrets").read().get(path.strip("/"))
    found_type = (mount or {}).get("type")
    if found_type == "kv" and str(((mount or {}).get("options") or {}).get("version")) == "2":
        found_type = "kv-v2"
    if mount is None or found_type != mount_type:
        found = f"a {found_type!r} engine" if mount else "nothing"
        raise VaultError(
            f"{path!r} holds {found}, not a {mount_type} secrets engine: enable one there first "
            f"(mach.platform.vault_secrets_engine type={mount_type})"
        )


TUNABLE = ("default_lease_ttl", "max_lease_ttl")


def ensure_mount(
    module: Any, client: hvac.Client, kind: str, mount_type: str, options: Cfg
) -> dict[str, Any]:
    """Make one mount match the module's parameters; the result for exit_json."""
    path = module.params["path"].strip("/")
    state = module.params["state"]
    mounts = Mounts(client, kind)
    current = mounts.read().get(path)
    result: dict[str, Any] = {"path": path, "changed": False}
    if state == "absent":
        if current is not None:
            if kind == "secrets" and not module.params.get("purge"):
                raise VaultError(
                    f"disabling secrets engine {path!r} deletes every secret in it: "
                    "set purge=true to confirm"
                )
            result.update(changed=True, diff={"before": {"type": current["type"]}, "after": {}})
            if not module.check_mode:
                mounts.disable(path)
        return result

    description = module.params.get("description") or ""
    config = {k: seconds(v) for k, v in (module.params.get("config") or {}).items()}
    unknown = sorted(set(config) - set(TUNABLE))
    if unknown:
        raise VaultError(f"config keys {unknown} are not supported; use {list(TUNABLE)}")
    options = {k: str(v) for k, v in options.items()}
    if current is None:
        result.update(changed=True, diff={"before": {}, "after": {"type": mount_type}})
        if not module.check_mode:
            mounts.enable(path, mount_type, description, config, options)
        return result

    if current["type"] != mount_type:
        raise VaultError(
            f"{path!r} is mounted as {current['type']!r}, not {mount_type!r}; the module does "
            "not replace a mount (it would lose its data): choose another path or remove it"
        )
    have_config = current.get("config") or {}
    have_options = {k: str(v) for k, v in (current.get("options") or {}).items()}
    before = {
        "description": current.get("description", ""),
        **{k: have_config.get(k, 0) for k in config},
        **{f"options.{k}": have_options.get(k) for k in options},
    }
    after = {
        "description": description,
        **config,
        **{f"options.{k}": v for k, v in options.items()},
    }
    if before != after:
        result.update(changed=True, diff={"before": before, "after": after})
        if not module.check_mode:
            mounts.tune(path, description, config, options)
    return result
