"""One request through two services is one trace in Jaeger. The cart (services/cart) puts a
line in a cart, for which it reads the product and its price from the catalog
(services/catalog), passing on the W3C trace context. Both run under uvicorn from their own
venvs on real PostgreSQL and Redis servers and export their spans over OTLP/HTTPS, verified
against a CA of the test's own (otlp_ca_file), to the bundle's Jaeger v2 (started with its
in-memory store: the search cluster as its store is proven by roles/jaeger's scenario), whose
OTLP receiver serves TLS as roles/jaeger configures it. Jaeger's query API must return one
trace holding the cart's request and the catalog's two requests, as children of the cart's."""

import datetime
import ipaddress
import json
import os
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pgkit import SUPERUSER_PASSWORD, psql, start_postgresql
from vaultkit import BUNDLE, _free_port, await_http

from conftest import ROOT, run
from mach_ops.artifacts import load_manifest

pytestmark = pytest.mark.artifacts
VENVS = ROOT / ".cache" / "services"


def call(url: str, method: str = "GET", body: object = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    request = urllib.request.Request(url, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@contextmanager
def process(argv: list[str], env: dict[str, str], ready: str, what: str, log: Path):
    """`argv` running (its output in `log`) once `ready` answers; stopped afterwards."""
    with log.open("w") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        try:
            await_http(ready, proc, 60, what)
        except AssertionError as error:
            raise AssertionError(f"{error}: {log.read_text()[-3000:]}") from None
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate it signed for 127.0.0.1: (ca, certificate, key) files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))

    def issued(subject, public_key, issuer_key, issuer_name, extensions):
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(hours=1))
        )  # fmt: skip
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "traces test CA")])
    ca = issued(ca_name, ca_key.public_key(), ca_key, ca_name,
                [(x509.BasicConstraints(ca=True, path_length=0), True)])  # fmt: skip
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jaeger")])
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = issued(name, key.public_key(), ca_key, ca_name, [(san, False)])
    paths = (directory / "ca.crt", directory / "jaeger.crt", directory / "jaeger.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return paths


@pytest.fixture(scope="module")
def jaeger(tmp_path_factory):
    """The bundle's Jaeger v2: OTLP/HTTPS in, its in-memory store, the query API out."""
    (artifact,) = [
        a for a in load_manifest(ROOT / "artifacts" / "manifest.yml").artifacts
        if a.name == "jaeger"
    ]  # fmt: skip
    binary = BUNDLE / artifact.directory / "jaeger"
    assert binary.exists(), f"{binary}: run make artifacts"
    otlp, query = _free_port(), _free_port()
    home = tmp_path_factory.mktemp("jaeger")
    ca, cert, key = certificates(home)
    config = {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"],
                                     "exporters": ["jaeger_storage_exporter"]}},
            "telemetry": {"metrics": {"level": "none"}},
        },
        "extensions": {
            "jaeger_storage": {"backends": {"memory": {"memory": {"max_traces": 1000}}}},
            "jaeger_query": {"storage": {"traces": "memory"},
                             "http": {"endpoint": f"127.0.0.1:{query}"},
                             "grpc": {"endpoint": f"127.0.0.1:{_free_port()}"}},
        },
        "receivers": {"otlp": {"protocols": {"http": {
            "endpoint": f"127.0.0.1:{otlp}", "tls": {"cert_file": str(cert), "key_file": str(key)},
        }}}},
        "processors": {"batch": {"timeout": "200ms"}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "memory"}},
    }  # fmt: skip
    (home / "config.yaml").write_text(yaml.safe_dump(config))
    url = f"http://127.0.0.1:{query}"
    argv = [str(binary), "--config", str(home / "config.yaml")]
    with process(argv, dict(os.environ), f"{url}/api/services", "jaeger", home / "log"):
        yield {"otlp": f"https://127.0.0.1:{otlp}", "ca": str(ca), "query": url}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """Debian's redis-server on a free loopback port, with a password and nothing persisted."""
    base = tmp_path_factory.mktemp("redis")
    port, password = _free_port(), "redis-" + os.urandom(8).hex()
    (base / "redis.conf").write_text(
        f'port {port}\nbind 127.0.0.1\nrequirepass {password}\nsave ""\nappendonly no\ndir {base}\n'
    )
    proc = subprocess.Popen(["redis-server", str(base / "redis.conf")], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while run(["redis-cli", "-p", str(port), "--no-auth-warning", "-a", password, "ping"]
              ).stdout.strip() != "PONG":  # fmt: skip
        assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.2)
    yield f"redis://default:{password}@127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=30)


def service(name, port, pg_port, jaeger, tmp_path, **settings):
    """The service `name` under uvicorn from its own venv, on its own migrated database,
    exporting its traces to `jaeger`."""
    venv = VENVS / name / "bin"
    assert (venv / "uvicorn").exists(), f"run make -C services venvs UNITS={name}"
    password = f"{name}-" + os.urandom(8).hex()
    for sql in (f"CREATE ROLE {name} LOGIN PASSWORD '{password}'",
                f"CREATE DATABASE {name} OWNER {name}"):  # fmt: skip
        assert psql(pg_port, "postgres", SUPERUSER_PASSWORD, sql).returncode == 0
    env = {
        **os.environ,
        "MACH_ENVIRONMENT": "test",
        "MACH_DATABASE_URL": f"postgresql+asyncpg://{name}:{password}@127.0.0.1:{pg_port}/{name}",
        "MACH_OTLP_ENDPOINT": jaeger["otlp"],
        "MACH_OTLP_CA_FILE": jaeger["ca"],
        **{f"MACH_{k.upper()}": v for k, v in settings.items()},
    }
    migrate = run([str(venv / f"{name}-migrate"), "upgrade", "head"], env=env)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    argv = [str(venv / "uvicorn"), "--factory", f"{name}.main:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    return url, process(argv, env, f"{url}/readyz", name, tmp_path / f"{name}.log")


def test_a_cart_line_and_its_catalog_lookups_are_one_trace(jaeger, redis_url, tmp_path):
    with start_postgresql() as pg_port:
        catalog_url, catalog = service("catalog", _free_port(), pg_port, jaeger, tmp_path)
        cart_port = _free_port()
        cart_url, cart = service(
            "cart", cart_port, pg_port, jaeger, tmp_path,
            redis_url=redis_url, catalog_url=catalog_url,
        )  # fmt: skip
        with catalog, cart:
            code, category = call(f"{catalog_url}/v1/categories", "POST",
                                  {"slug": "tea", "name": "Tea"})  # fmt: skip
            assert code == 201, category
            tea = {"sku": "TEA-1", "name": "Sencha", "category_id": category["id"]}
            code, product = call(f"{catalog_url}/v1/products", "POST", tea)
            assert code == 201, product
            code, price = call(f"{catalog_url}/v1/prices/{product['id']}/EUR", "PUT",
                               {"amount": "7.50"})  # fmt: skip
            assert code == 201, price
            code, basket = call(f"{cart_url}/v1/carts", "POST", {"currency": "EUR"})
            assert code == 201, basket
            line = f"{cart_url}/v1/carts/{basket['id']}/lines/{product['id']}"
            code, filled = call(line, "PUT", {"quantity": 2})
            assert code == 200, filled

            started = time.monotonic()
            traces: list = []
            while time.monotonic() - started < 30:
                code, found = call(f"{jaeger['query']}/api/traces?service=cart&limit=20")
                traces = [
                    t for t in found["data"]
                    if any(s["operationName"].startswith("PUT /v1/carts/") for s in t["spans"])
                ]  # fmt: skip
                # each service exports its own batches: wait for the catalog's two requests
                operations = {s["operationName"] for t in traces for s in t["spans"]}
                if {"GET /v1/products/{product_id}",
                    "GET /v1/prices/{product_id}/{currency}"} <= operations:  # fmt: skip
                    break
                time.sleep(0.5)
            took = time.monotonic() - started
    assert len(traces) == 1, traces
    (trace,) = traces
    service_of = {pid: p["serviceName"] for pid, p in trace["processes"].items()}
    by_service: dict[str, list] = {}
    for span in trace["spans"]:
        by_service.setdefault(service_of[span["processID"]], []).append(span)
    assert set(by_service) == {"cart", "catalog"}, by_service.keys()
    # the catalog's two server spans (the product, its price) are children of the cart's
    # request: their parents are spans of the cart
    cart_spans = {s["spanID"] for s in by_service["cart"]}
    catalog_requests = [s for s in by_service["catalog"]
                        if not any(r["spanID"] in {c["spanID"] for c in by_service["catalog"]}
                                   for r in s["references"])]  # fmt: skip
    assert len(catalog_requests) == 2, [s["operationName"] for s in by_service["catalog"]]
    for span in catalog_requests:
        (parent,) = span["references"]
        assert parent["refType"] == "CHILD_OF" and parent["spanID"] in cart_spans, parent
    assert {s["operationName"] for s in catalog_requests} == {
        "GET /v1/products/{product_id}",
        "GET /v1/prices/{product_id}/{currency}",
    }
    spans = len(trace["spans"])
    print(f"\ntraces: cart -> catalog, {spans} spans in one trace, in Jaeger after {took:.1f} s")
