"""The OpenAPI document is the contract: it is exported to contracts/openapi/catalog and may
not drift from the app, and schemathesis drives every documented operation of the real server
(uvicorn, as the unit runs it) with generated valid and invalid requests: none may be a server
error, and every response must match the document."""

from pathlib import Path

import pytest

from catalog.migrate import main as migrate
from catalog.settings import get_settings
from mach_service_kit.openapi import render
from mach_service_kit.pytest_plugin import migrated_database
from mach_service_kit.testing import schemathesis_run, uvicorn_server

EXPORTED = (
    Path(__file__).resolve().parents[3] / "contracts" / "openapi" / "catalog" / "openapi.json"
)


def test_the_exported_openapi_is_current():
    assert EXPORTED.read_text() == render("catalog.main:create_app"), (
        "contracts/openapi/catalog/openapi.json is stale: run `make -C services openapi`"
    )


@pytest.fixture(scope="module")
def server(pg, issuer):
    """The catalog under uvicorn on its own migrated database (schemathesis' writes commit)."""
    url = migrated_database(pg, "catalog_contract", migrate, get_settings.cache_clear)
    env = {
        "MACH_ENVIRONMENT": "test",
        "MACH_DATABASE_URL": url,
        "MACH_JWT_JWKS_URL": issuer.jwks_url,
        "MACH_JWT_ISSUER": issuer.issuer,
    }
    with uvicorn_server("catalog.main:create_app", env) as base:
        yield base


def test_every_operation_keeps_the_contract(server, issuer, tmp_path):
    token = issuer.token(roles=["catalog-editor"], lifetime=900)
    proc = schemathesis_run(server, token, tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
