"""Test helpers every service's suite uses: a real PostgreSQL server (Debian's binaries, a
fresh cluster in a temporary directory on a free loopback port, scram-sha-256 only, run as the
`postgres` system user), a database and login per service on it, and a signing key whose JWKS
is served over HTTP like Keycloak's (the app's verification path is the production one; a
real Keycloak's tokens are checked in tests/integration)."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

PG_BIN = Path(os.environ.get("MACH_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*cmd: str) -> None:
    run = ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)
    subprocess.run(run, check=True, capture_output=True)


@dataclass(frozen=True)
class PostgresServer:
    port: int
    password: str  # the throwaway cluster's superuser password

    def psql(self, sql: str, database: str = "postgres") -> str:
        proc = subprocess.run(
            ["psql", "-X", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            env={**os.environ, "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "5"},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return proc.stdout.strip()

    def create_database(self, name: str) -> str:
        """A login and a database it owns, as the postgresql role makes them per service;
        returns the service's asyncpg URL."""
        password = secrets.token_urlsafe(18)
        self.psql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'")
        self.psql(f'CREATE DATABASE "{name}" OWNER "{name}"')
        self.psql(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
        return f"postgresql+asyncpg://{name}:{password}@127.0.0.1:{self.port}/{name}"


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    base = Path(tempfile.mkdtemp(prefix="mach-svc-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    password = secrets.token_urlsafe(18)
    pwfile = base / "pw"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres")
    data = base / "data"
    _as_postgres(
        str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "scram-sha-256",
        f"--pwfile={pwfile}",
    )  # fmt: skip
    pwfile.unlink()
    port = free_port()
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    _as_postgres(
        str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w",
        "start",
    )  # fmt: skip
    try:
        yield PostgresServer(port, password)
    finally:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(base)


class TokenIssuer:
    """Signs access tokens shaped like Keycloak's (realm_access.roles, azp, iss, exp) with an
    RSA key and publishes its public half as a JWKS over HTTP on loopback, at the path
    Keycloak uses, while the context is open."""

    def __init__(self, realm: str = "mach") -> None:
        self.kid = secrets.token_hex(8)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        self.jwks = json.dumps({"keys": [jwk]}).encode()
        self.realm = realm
        self.port = 0

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/realms/{self.realm}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/certs"

    def __enter__(self) -> "TokenIssuer":
        jwks, path = self.jwks, f"/realms/{self.realm}/protocol/openid-connect/certs"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = self.path == path
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(jwks if found else b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def token(self, *, roles: Sequence[str] = (), lifetime: int = 300, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer, "iat": now, "exp": now + lifetime, "sub": "test-subject",
            "azp": "test-client", "realm_access": {"roles": list(roles)}, **claims,
        }  # fmt: skip
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": self.kid})
