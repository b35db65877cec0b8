"""Shared client handling for the mach.platform MinIO modules (the minio SDK).

`Server` checks the server and the credentials first (one admin call) and turns the
usual failures into one clear message naming what to fix: the server unreachable, TLS not
trusted, or the credentials rejected. Nothing is written before these checks pass.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.mach.platform.plugins.module_utils.common import reason

try:
    import urllib3
    from minio import Minio, MinioAdmin
    from minio.credentials.providers import StaticProvider
    from minio.error import MinioAdminException, MinioException
    from minio.error import S3Error as S3Error
    from minio.versioningconfig import VersioningConfig as VersioningConfig

    HAS_MINIO = True
    MINIO_IMPORT_ERROR = None
    API_ERRORS: tuple[type[Exception], ...] = (MinioException, urllib3.exceptions.HTTPError)
except ImportError as exc:  # pragma: no cover - reported by the module
    HAS_MINIO = False
    MINIO_IMPORT_ERROR = exc
    API_ERRORS = ()
    MinioAdminException = S3Error = RuntimeError  # type: ignore[misc,assignment]
    VersioningConfig = None  # type: ignore[assignment,misc]

CONNECTION_ARGS: dict[str, dict[str, Any]] = {
    "url": {"type": "str"},
    "access_key": {"type": "str", "no_log": False},
    "secret_key": {"type": "str", "no_log": True},
    "ca_cert": {"type": "path"},
    "validate_certs": {"type": "bool", "default": True},
    "timeout": {"type": "int", "default": 30},
}

# S3 error codes that mean "these credentials are not valid" (anything else, AccessDenied
# included, means the server accepted who we are).
BAD_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken"}


class MinioModuleError(Exception):
    """A failure whose message tells the operator what to fix."""


def connection_spec(**extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**CONNECTION_ARGS, **extra}


def admin_status(exc: Exception) -> tuple[int, str]:
    """(HTTP status, MinIO error code) of a MinioAdminException."""
    status = int(getattr(exc, "_code", 0) or 0)
    try:
        code = json.loads(getattr(exc, "_body", "") or "{}").get("Code", "")
    except ValueError:
        code = ""
    return status, code


class Server:
    """One MinIO deployment as the modules see it: an S3 client and an admin client with the
    same endpoint, TLS settings and (admin) credentials."""

    def __init__(self, params: dict[str, Any]) -> None:
        url = params.get("url") or os.environ.get("MINIO_URL")
        if not url:
            raise MinioModuleError("no MinIO address: set url (or MINIO_URL)")
        parts = urlsplit(url if "://" in url else "https://" + url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
            raise MinioModuleError(
                f"url {url!r} is not a MinIO endpoint: use https://host:port (no path)"
            )
        self.url, self.endpoint, self.secure = url, parts.netloc, parts.scheme == "https"
        self.access_key = params.get("access_key") or os.environ.get("MINIO_ACCESS_KEY")
        self.secret_key = params.get("secret_key") or os.environ.get("MINIO_SECRET_KEY")
        if not self.access_key or not self.secret_key:
            raise MinioModuleError(
                "no MinIO admin credentials: set access_key and secret_key "
                "(or MINIO_ACCESS_KEY and MINIO_SECRET_KEY)"
            )
        verify = params.get("validate_certs", True)
        timeout = urllib3.Timeout(connect=params.get("timeout", 30), read=params.get("timeout", 30))
        self.http = urllib3.PoolManager(
            timeout=timeout,
            cert_reqs="CERT_REQUIRED" if verify else "CERT_NONE",
            ca_certs=(params.get("ca_cert") or os.environ.get("SSL_CERT_FILE")) if verify else None,
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[502, 503, 504]),
        )
        self.s3 = self.client(self.access_key, self.secret_key)
        self.admin = MinioAdmin(
            endpoint=self.endpoint,
            credentials=StaticProvider(self.access_key, self.secret_key),
            secure=self.secure,
            http_client=self.http,
        )
        self._check()

    def client(self, access_key: str, secret_key: str) -> Minio:
        return Minio(
            self.endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=self.secure,
            http_client=self.http,
        )

    def _check(self) -> None:
        try:
            self.admin.account_info()
        except urllib3.exceptions.HTTPError as exc:
            cause = getattr(exc, "reason", exc)  # MaxRetryError wraps the last failure
            if isinstance(cause, urllib3.exceptions.SSLError):
                raise MinioModuleError(
                    f"TLS to {self.url} failed ({reason(cause)}): "
                    "set ca_cert to the CA that signed it"
                ) from exc
            raise MinioModuleError(f"MinIO at {self.url} is unreachable: {reason(exc)}") from exc
        except MinioAdminException as exc:
            status, code = admin_status(exc)
            if status == 403 or code in BAD_CREDENTIALS:
                raise MinioModuleError(
                    f"MinIO at {self.url} rejected the credentials of {self.access_key!r} "
                    f"({code or status}): give that user's current secret key"
                ) from exc
            raise MinioModuleError(f"MinIO at {self.url} failed: {code or status}") from exc

    def accepts(self, access_key: str, secret_key: str) -> bool:
        """Whether the server authenticates these credentials (whatever they may do). A GET,
        whose error has a body: a HEAD's 403 cannot tell a wrong secret from a denied one."""
        try:
            self.client(access_key, secret_key).list_buckets()
        except S3Error as exc:
            return exc.code not in BAD_CREDENTIALS
        return True


def run_module(module: Any, work: Any) -> None:
    """Run `work(module, server)` and exit with its result; every MinioModuleError and SDK error
    becomes a clean failure (never a traceback)."""
    if not HAS_MINIO:
        module.fail_json(msg=f"the minio Python library is required: {MINIO_IMPORT_ERROR}")
    try:
        result = work(module, Server(module.params))
    except MinioModuleError as exc:
        module.fail_json(msg=str(exc))
    except MinioAdminException as exc:
        status, code = admin_status(exc)
        module.fail_json(msg=f"MinIO refused the admin request: {code or status}")
    except API_ERRORS as exc:
        module.fail_json(msg=f"MinIO refused the request: {reason(exc)}")
    module.exit_json(**result)
