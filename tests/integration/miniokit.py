"""Helpers of the MinIO integration tests: a real MinIO server from the bundle over TLS (a CA
made for the test), and S3 clients that verify it."""

import os
import ssl
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import urllib3
from minio import Minio
from vaultkit import BUNDLE, _free_port, ansible_module

from conftest import ROOT
from mach_ops.artifacts import load_manifest

ROOT_USER, ROOT_PASSWORD = "mach-admin", "integration-root-password"


def minio_binary() -> Path:
    manifest = load_manifest(ROOT / "artifacts" / "manifest.yml")
    (a,) = [a for a in manifest.artifacts if a.name == "minio"]
    return BUNDLE / a.directory / "minio"


def _tls(certs: Path) -> Path:
    """A CA and a server certificate for 127.0.0.1 in MinIO's certs layout; returns the CA."""
    (certs / "CAs").mkdir(parents=True)
    ca_key, ca = certs.parent / "ca.key", certs.parent / "ca.crt"
    req = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-days", "2"]  # fmt: skip
    subprocess.run([*req, "-keyout", ca_key, "-out", ca, "-subj", "/CN=MACH test CA"],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(
        [*req, "-CA", ca, "-CAkey", ca_key, "-keyout", certs / "private.key",
         "-out", certs / "public.crt", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return ca


@contextmanager
def start_minio(base: Path):
    """A MinIO server with four drives under `base`, TLS on a free port. Yields url, ca and
    endpoint."""
    ca = _tls(base / "certs")
    drives = [base / f"drive{i}" for i in range(1, 5)]
    for drive in drives:
        drive.mkdir()
    port = _free_port()
    proc = subprocess.Popen(
        [str(minio_binary()), "server", "--quiet", "--certs-dir", str(base / "certs"),
         "--address", f"127.0.0.1:{port}", "--console-address", f"127.0.0.1:{_free_port()}",
         *map(str, drives)],
        env={**os.environ, "MINIO_ROOT_USER": ROOT_USER, "MINIO_ROOT_PASSWORD": ROOT_PASSWORD,
             # the test's drives are directories on the root filesystem
             "MINIO_CI_CD": "on"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = urllib.request.urlopen(
                    f"{url}/minio/health/cluster",
                    context=ssl.create_default_context(cafile=str(ca)),
                    timeout=2,
                )
                if ready.status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "minio server did not come up"
            time.sleep(0.3)
        yield {"url": url, "ca": str(ca), "endpoint": f"127.0.0.1:{port}"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(server, name, args, *flags, secret=ROOT_PASSWORD):
    connection = {"url": server["url"], "ca_cert": server["ca"],
                  "access_key": ROOT_USER, "secret_key": secret}  # fmt: skip
    return ansible_module(name, {**connection, **args}, {}, *flags)


def s3(server, access_key=ROOT_USER, secret_key=ROOT_PASSWORD):
    """An S3 client of the server that verifies its certificate."""
    http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=server["ca"])
    return Minio(server["endpoint"], access_key, secret_key, secure=True, http_client=http)
