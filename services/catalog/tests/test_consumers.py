"""The catalog keeps its consumers' contracts (consumer-driven, pact-python): every
contracts/pacts/<consumer>-catalog.json, written by that consumer's suite, is replayed
against the real catalog server (uvicorn, as the unit runs it, on its own migrated database),
each interaction after the provider state it names is set up in that database."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pact import Verifier

from catalog.migrate import main as migrate
from catalog.settings import get_settings
from mach_service_kit.pytest_plugin import migrated_database
from mach_service_kit.testing import uvicorn_server

PACTS = Path(__file__).resolve().parents[3] / "contracts" / "pacts"
DATABASE = "catalog_pacts"
CATEGORY = "7d3c2b1a-0000-4000-8000-00000000ca75"


@pytest.fixture(scope="module")
def provider(pg, issuer) -> Iterator[str]:
    url = migrated_database(pg, DATABASE, migrate, get_settings.cache_clear)
    env = {"MACH_ENVIRONMENT": "test", "MACH_DATABASE_URL": url,
           "MACH_JWT_JWKS_URL": issuer.jwks_url, "MACH_JWT_ISSUER": issuer.issuer}  # fmt: skip
    with uvicorn_server("catalog.main:create_app", env) as base:
        yield base


def test_every_consumers_contract_is_kept(provider, pg) -> None:
    def sql(statement: str) -> None:
        pg.psql(statement, database=DATABASE)

    def product_with_a_price(action: str, parameters: dict[str, Any]) -> None:
        product, amount = parameters["product_id"], parameters["amount"]
        if action == "teardown":
            sql(f"DELETE FROM products WHERE id = '{product}'; "
                f"DELETE FROM categories WHERE id = '{CATEGORY}'")  # fmt: skip
            return
        sql(
            f"INSERT INTO categories (id, slug, name, created_at) "
            f"VALUES ('{CATEGORY}', 'pacts', 'Pacts', now()); "
            f"INSERT INTO products (id, sku, name, description, category_id, attributes, "
            f"version, created_at, updated_at) VALUES ('{product}', 'MUG-1', 'Mug', '', "
            f"'{CATEGORY}', '{{}}', 1, now(), now()); "
            f"INSERT INTO prices (product_id, currency, amount, updated_at) "
            f"VALUES ('{product}', 'EUR', {amount}, now())"
        )

    def no_such_product(action: str, parameters: dict[str, Any]) -> None:
        sql(f"DELETE FROM products WHERE id = '{parameters['product_id']}'")

    contracts = sorted(PACTS.glob("*-catalog.json"))
    assert contracts, f"no consumer contract with the catalog under {PACTS}"
    verifier = Verifier("catalog", host="127.0.0.1").add_transport(url=provider)
    for contract in contracts:
        verifier.add_source(contract)
    verifier.state_handler(
        {"a product with a EUR price": product_with_a_price, "no such product": no_such_product},
        teardown=True,
    )
    verifier.verify()
