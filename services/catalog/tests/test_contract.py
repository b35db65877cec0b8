"""The OpenAPI document is the contract: it is exported to contracts/openapi/catalog and may
not drift from the app, and schemathesis drives every documented operation of the real server
(uvicorn, as the unit runs it) with generated valid and invalid requests: none may be a server
error, and every response must match the document."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from catalog.migrate import main as migrate
from catalog.settings import get_settings
from mach_service_kit.openapi import render
from mach_service_kit.pytest_plugin import migrated_database
from mach_service_kit.testing import free_port

ROOT = Path(__file__).resolve().parents[3]
EXPORTED = ROOT / "contracts" / "openapi" / "catalog" / "openapi.json"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]


def test_the_exported_openapi_is_current():
    assert EXPORTED.read_text() == render("catalog.main:create_app"), (
        "contracts/openapi/catalog/openapi.json is stale: run `make -C services openapi`"
    )


@pytest.fixture(scope="module")
def server(pg, issuer):
    """The catalog under uvicorn on its own migrated database (schemathesis' writes commit)."""
    url = migrated_database(pg, "catalog_contract", migrate, get_settings.cache_clear)
    port = free_port()
    env = {
        **os.environ,
        "MACH_ENVIRONMENT": "test",
        "MACH_DATABASE_URL": url,
        "MACH_JWT_JWKS_URL": issuer.jwks_url,
        "MACH_JWT_ISSUER": issuer.issuer,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "catalog.main:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"catalog did not become ready: {proc.stderr.read().decode()[-2000:]}")
    yield base
    proc.terminate()
    proc.wait(10)


def test_every_operation_keeps_the_contract(server, issuer, tmp_path):
    token = issuer.token(roles=["catalog-editor"], lifetime=900)
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "run", f"{server}/openapi.json",
         "--checks", ",".join(CHECKS), "--max-examples", "30", "--seed", "1",
         "--header", f"Authorization: Bearer {token}", "--request-timeout", "10",
         "--report", "junit", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
