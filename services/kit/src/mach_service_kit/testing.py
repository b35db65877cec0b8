"""Test helpers every service's suite uses: a real PostgreSQL server (Debian's binaries, a
fresh cluster in a temporary directory on a free loopback port, scram-sha-256 only, run as the
`postgres` system user), a database and login per service on it, a real Kafka broker from the
bundle's jars (TLS and SCRAM like the fleet's), and a signing key whose JWKS
is served over HTTP like Keycloak's (the app's verification path is the production one; a
real Keycloak's tokens are checked in tests/integration)."""

import ipaddress
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

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


@dataclass(frozen=True)
class RedisServer:
    port: int
    password: str  # the admin (default) user's

    def cli(self, *args: str, user: str = "default", password: str | None = None) -> str:
        proc = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "--no-auth-warning",
             "--user", user, "--pass", password or self.password, *args],
            capture_output=True, text=True, check=True, timeout=10,
        )  # fmt: skip
        return proc.stdout.strip()

    def create_user(self, name: str) -> str:
        """An ACL user confined to its own key and channel prefix, as the redis role makes one
        per service (catalog_redis_users); returns the service's URL."""
        password = secrets.token_urlsafe(18)
        acl = [f">{password}", f"~{name}:*", f"&{name}:*", "+@all", "-@dangerous"]
        self.cli("ACL", "SETUSER", name, "reset", "on", *acl)
        return f"redis://{name}:{password}@127.0.0.1:{self.port}/0"


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """Debian's redis-server on a free loopback port, nothing persisted, the default user
    password-protected (the fleet's Redis turns it off; the tests use it as the admin)."""
    base = Path(tempfile.mkdtemp(prefix="mach-svc-redis-"))
    port, password = free_port(), secrets.token_urlsafe(18)
    conf = base / "redis.conf"
    conf.write_text(
        f'port {port}\nbind 127.0.0.1\nsave ""\nappendonly no\ndir {base}\n'
        f"requirepass {password}\nlogfile {base / 'log'}\n"
    )
    proc = subprocess.Popen(["redis-server", str(conf)])
    server = RedisServer(port, password)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if server.cli("PING") == "PONG":
                    break
            except subprocess.CalledProcessError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {(base / 'log').read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def _bundle_file(variable: str, pattern: str, what: str) -> Path:
    """A file of the bundle as `make artifacts` builds it (`variable` names one directly)."""
    named = os.environ.get(variable)
    if named:
        return Path(named)
    state = Path(os.environ.get("MACH_STATE_DIR", "/var/lib/mach-platform"))
    found = sorted(state.glob(f"artifacts/files/{pattern}"))
    if not found:
        raise FileNotFoundError(f"no {what} under {state}/artifacts: run `make artifacts`")
    return found[-1]


@dataclass(frozen=True)
class OpenSearchServer:
    url: str


@contextmanager
def opensearch_server() -> Iterator[OpenSearchServer]:
    """The bundle's OpenSearch home (artifacts/manifest.yml: opensearch) as one node on a free
    loopback port, 512 MB of heap, started as the opensearch role's unit starts it (the JVM
    on the home's jars). Its security plugin is disabled here: the cluster's TLS and users
    are the opensearch role's, tested by its scenario; the services reach it as their user."""
    base = Path(tempfile.mkdtemp(prefix="mach-svc-os-"))
    base.chmod(0o755)
    with tarfile.open(_bundle_file("MACH_OPENSEARCH_TARBALL", "opensearch/*/opensearch-*.tar.gz",
                                   "OpenSearch home")) as tar:  # fmt: skip
        tar.extractall(base, filter="data")
    (home,) = base.glob("opensearch-*")
    for directory in ("data", "logs", "tmp"):
        (base / directory).mkdir()
    port = free_port()
    command = [
        "java", "-Xms512m", "-Xmx512m", "-XX:+UseG1GC", f"-Djava.io.tmpdir={base / 'tmp'}",
        "-Djava.security.manager=allow",
        "-Djava.util.concurrent.ForkJoinPool.common.threadFactory="
        "org.opensearch.secure_sm.SecuredForkJoinWorkerThreadFactory",
        "-Dfile.encoding=UTF-8", "-Djna.nosys=true", "-Dlog4j2.disable.jmx=true",
        f"-Dopensearch.path.home={home}", f"-Dopensearch.path.conf={home / 'config'}",
        "-Dopensearch.distribution.type=tar", "-Dopensearch.bundled_jdk=false",
        "-cp", f"{home}/lib/*", "org.opensearch.bootstrap.OpenSearch",
        "-Ediscovery.type=single-node", "-Eplugins.security.disabled=true",
        "-Enetwork.host=127.0.0.1", f"-Ehttp.port={port}", f"-Etransport.port={free_port()}",
        f"-Epath.data={base / 'data'}", f"-Epath.logs={base / 'logs'}",
        "-Ecluster.routing.allocation.disk.threshold_enabled=false",
    ]  # fmt: skip
    if os.geteuid() == 0:  # OpenSearch refuses to run as root
        for path in base.rglob("*"):
            shutil.chown(path, "nobody")
        command = ["runuser", "-u", "nobody", "--", *command]
    log = (base / "console.log").open("wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=base)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"{url}/_cluster/health?wait_for_status=yellow&timeout=5s")
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"OpenSearch did not start: {(base / 'console.log').read_text()[-3000:]}"
                )
            time.sleep(0.5)
        yield OpenSearchServer(url)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
        shutil.rmtree(base, ignore_errors=True)


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


def _tls_material(directory: Path) -> tuple[Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1 signed by it: (ca.crt, server.pem with
    the key and the certificate, as Kafka's PEM keystore reads it)."""
    now = datetime.now(UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("mach test CA"))
        .issuer_name(name("mach test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("kafka"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, pem = directory / "ca.crt", directory / "server.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    return ca_file, pem


@dataclass(frozen=True)
class KafkaServer:
    bootstrap: str
    ca_file: str
    # SCRAM-SHA-512 users created at format time: name -> password
    users: dict[str, str]


def kafka_jars() -> Path:
    """The bundle's Kafka jars (artifacts/manifest.yml: kafka), as `make artifacts` builds
    them; MACH_KAFKA_JARS names the tarball directly."""
    return _bundle_file("MACH_KAFKA_JARS", "kafka/*/kafka-*-jars.tar.gz", "Kafka jars")


@contextmanager
def kafka_server(users: Sequence[str] = ()) -> Iterator[KafkaServer]:
    """A real single-node Kafka (KRaft, broker and controller in one JVM) from the bundle's
    jars, on a free loopback port with TLS and SCRAM-SHA-512 like the fleet's brokers; each
    of `users` gets a random password."""
    base = Path(tempfile.mkdtemp(prefix="mach-svc-kafka-"))
    with tarfile.open(kafka_jars()) as tar:
        tar.extractall(base, filter="data")
    (home,) = [p for p in base.iterdir() if p.is_dir()]
    ca_file, pem = _tls_material(base)
    admin = secrets.token_urlsafe(18)
    passwords = {u: secrets.token_urlsafe(18) for u in users}
    port, controller = free_port(), free_port()
    properties = base / "server.properties"
    properties.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{controller}",
                f"listeners=SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
                f"advertised.listeners=SASL_SSL://127.0.0.1:{port}",
                "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=SASL_SSL",
                "controller.listener.names=CONTROLLER",
                "sasl.enabled.mechanisms=SCRAM-SHA-512",
                "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required "
                f'username="admin" password="{admin}";',
                "ssl.keystore.type=PEM",
                f"ssl.keystore.location={pem}",
                "ssl.truststore.type=PEM",
                f"ssl.truststore.location={ca_file}",
                f"log.dirs={base / 'data'}",
                "num.partitions=3",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "",
            ]
        )
    )
    java = [
        "java",
        "-Xmx512m",
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-cp",
        f"{home}/libs/*",
    ]
    scram = [
        f"SCRAM-SHA-512=[name={name},password={password}]"
        for name, password in {"admin": admin, **passwords}.items()
    ]
    subprocess.run(
        [*java, "kafka.tools.StorageTool", "format", "--config", str(properties),
         "--cluster-id", "bWFjaC10ZXN0LWthZmthMQ",
         *[arg for entry in scram for arg in ("--add-scram", entry)]],
        check=True, capture_output=True,
    )  # fmt: skip
    log = (base / "kafka.log").open("wb")
    proc = subprocess.Popen(
        [*java, "kafka.Kafka", str(properties)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "Kafka did not start: " + (base / "kafka.log").read_text()[-3000:]
                )
            time.sleep(0.3)
        yield KafkaServer(f"127.0.0.1:{port}", str(ca_file), {"admin": admin, **passwords})
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(base)


@contextmanager
def uvicorn_server(factory: str, env: dict[str, str]) -> Iterator[str]:
    """The service's app under uvicorn on a free port, as its unit runs it; yields its URL
    once /readyz answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    stderr = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(
                        f"{factory} did not become ready: {stderr[-2000:]}"
                    ) from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


# A request the schema does not allow must be refused by one of these (schemathesis'
# defaults, plus 412 for a stale If-Match and 413 for a body over the limit).
REJECTIONS = (
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "412",
    "413",
    "415",
    "422",
    "428",
    "429",
)
# What the contract tests hold every response to (schemathesis' checks).
CONTRACT_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)


def schemathesis_run(
    base: str, token: str, report_dir: Path, examples: int = 30
) -> subprocess.CompletedProcess[str]:
    """schemathesis over every operation of the server's OpenAPI, with a writer's token."""
    config = report_dir / "schemathesis.toml"
    config.write_text(
        f"[checks.negative_data_rejection]\nexpected-statuses = {json.dumps(list(REJECTIONS))}\n"
    )
    return subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "run",
         f"{base}/openapi.json",
         "--checks", ",".join(CONTRACT_CHECKS), "--max-examples", str(examples), "--seed", "1",
         "--header", f"Authorization: Bearer {token}", "--request-timeout", "10",
         "--report", "junit", "--report-dir", str(report_dir)],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip


def envelope_problems(envelope: dict[str, Any], contracts: Path) -> list[str]:
    """What is wrong with an event envelope against its exported contract
    (contracts/events/<service>/<type>.v<version>.json)."""
    from jsonschema import Draft202012Validator  # test dependency only

    path = contracts / f"{envelope['type']}.v{envelope['version']}.json"
    if not path.exists():
        return [f"{path.name}: no such contract"]
    validator = Draft202012Validator(
        json.loads(path.read_text()), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [e.message for e in validator.iter_errors(envelope)]


async def consume(settings: Any, topic: str, count: int, group: str | None = None) -> list[Any]:
    """The first `count` records of `topic` (from the earliest offset), as the service's Kafka
    user reads them; fails when fewer arrive within 15 s of each other."""
    from aiokafka import AIOKafkaConsumer

    from mach_service_kit import kafka

    consumer = AIOKafkaConsumer(
        topic, **kafka.options(settings), group_id=group, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[Any] = []
    try:
        while len(records) < count:
            batch = await consumer.getmany(timeout_ms=15000)
            assert batch, f"only {len(records)} of {count} records arrived on {topic}"
            records += [r for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    return records
