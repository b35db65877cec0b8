"""The cart service's tests run on a real PostgreSQL server and a real Redis server (the
kit's pytest plugin: `pg`, `redis`, `issuer`, `app`, `client`), and against pact's mock of the
catalog built from the cart's contract with it (catalog_pact.py). Each test's client runs in
a PostgreSQL transaction rolled back afterwards; session carts stay in Redis, under their
random ids. `as_customer("alice")` is Alice's bearer header."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cart.main import create_app
from cart.migrate import main as migrate
from cart.settings import CartSettings, get_settings
from catalog_pact import catalog_pact, empty_catalog
from mach_service_kit.pytest_plugin import service_fixtures

PACTS = Path(__file__).resolve().parents[3] / "contracts" / "pacts"

database_url, _settings, app_factory = service_fixtures(
    "cart", migrate, get_settings.cache_clear, CartSettings, create_app
)


@pytest.fixture(scope="session")
def redis_url(redis) -> str:
    return redis.create_user("cart")


@pytest.fixture(scope="session")
def catalog(tmp_path_factory) -> Iterator[str]:
    """pact's mock of the catalog while the session runs; afterwards every interaction must
    have been exercised, with no unexpected request, and the contract it writes must be the
    one in contracts/pacts/ (`make -C services pacts` rewrites that)."""
    pact = catalog_pact()
    with pact.serve(addr="127.0.0.1") as server:
        yield str(server.url)
    if os.environ.get("MACH_WRITE_PACTS"):
        pact.write_file(PACTS, overwrite=True)
        return
    written = tmp_path_factory.mktemp("pacts")
    pact.write_file(written)
    new = json.loads((written / "cart-catalog.json").read_text())
    new["metadata"].pop("pactRust", None)
    committed = PACTS / "cart-catalog.json"
    old = json.loads(committed.read_text()) if committed.exists() else None
    if old is not None:
        old["metadata"].pop("pactRust", None)
    assert new == old, f"{committed} is stale: run `make -C services pacts`"


@pytest.fixture(scope="session")
def settings(database_url, issuer, redis_url, catalog) -> CartSettings:
    return CartSettings(
        environment="test", database_url=database_url, jwt_jwks_url=issuer.jwks_url,
        jwt_issuer=issuer.issuer, redis_url=redis_url, catalog_url=catalog, max_lines=3,
        max_quantity=20,
    )  # fmt: skip


@pytest.fixture(scope="module")
def contract_environment(redis_url) -> Iterator[dict[str, str]]:
    """The schemathesis run's server: its Redis user, and a catalog with no product (pact's
    mock of the contract's 404 interactions for any id)."""
    with empty_catalog().serve(addr="127.0.0.1", raises=False) as server:
        yield {"MACH_REDIS_URL": redis_url, "MACH_CATALOG_URL": str(server.url)}


@pytest.fixture
def as_customer(issuer):
    def header(subject: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.token(sub=subject)}"}

    return header
