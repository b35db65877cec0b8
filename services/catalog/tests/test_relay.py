"""The catalog's changes reach catalog.events through its outbox and `catalog-relay` (run as
its unit runs it) on a real Kafka broker (TLS, SCRAM as the catalog's own user): keyed by
product, a product's events in the order they were made; SIGTERM stops the relay cleanly."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from catalog import TOPIC
from catalog.main import create_app
from catalog.migrate import main as migrate
from catalog.settings import CatalogSettings, get_settings
from mach_service_kit import kafka
from mach_service_kit.pytest_plugin import migrated_database
from mach_service_kit.testing import consume, kafka_server


@pytest.fixture(scope="module")
def broker():
    with kafka_server(users=["catalog"]) as server:
        yield server


@pytest.fixture(scope="module")
def settings(pg, broker, issuer) -> CatalogSettings:
    """The catalog on a database of its own (this module's writes commit)."""
    url = migrated_database(pg, "catalog_relay", migrate, get_settings.cache_clear)
    return CatalogSettings(
        environment="test",
        database_url=url,
        jwt_jwks_url=issuer.jwks_url,
        jwt_issuer=issuer.issuer,
        kafka_bootstrap=broker.bootstrap,
        kafka_password=broker.users["catalog"],
        kafka_ca_file=broker.ca_file,
    )


async def test_committed_changes_are_published_keyed_and_in_order(settings, issuer):
    admin = AIOKafkaAdminClient(**kafka.options(settings))
    await admin.start()
    await admin.create_topics([NewTopic(TOPIC, 6, 1)])
    await admin.close()

    app = create_app(settings)
    editor = {"Authorization": f"Bearer {issuer.token(roles=['catalog-editor'])}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://catalog") as c:
        category = await c.post(
            "/v1/categories", json={"slug": "relay", "name": "R"}, headers=editor
        )
        body = {"sku": "REL-001", "name": "x", "category_id": category.json()["id"]}
        product = (await c.post("/v1/products", json=body, headers=editor)).json()
        for amount in ("1.50", "1.75"):
            r = await c.put(
                f"/v1/prices/{product['id']}/EUR", json={"amount": amount}, headers=editor
            )
            assert r.status_code in (200, 201)
        failed = await c.post("/v1/products", json=body, headers=editor)  # duplicate: 409
        assert failed.status_code == 409
    await app.state.database.close()

    env = {
        **os.environ,
        "MACH_ENVIRONMENT": "test",
        "MACH_DATABASE_URL": settings.database_url.get_secret_value(),
        "MACH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "MACH_KAFKA_PASSWORD": broker_password(settings),
        "MACH_KAFKA_CA_FILE": settings.kafka_ca_file,
    }
    relay = subprocess.Popen(
        [str(Path(sys.executable).parent / "catalog-relay")], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        records = await consume(settings, TOPIC, 4)
        await asyncio.sleep(1)  # anything more would be a duplicate or the failed request's
        extra = await consume(settings, TOPIC, 4)
    finally:
        relay.send_signal(signal.SIGTERM)
        rc = relay.wait(30)
    assert rc == 0, relay.stderr.read().decode()[-2000:] if relay.stderr else ""
    assert len(extra) == 4  # a second reader sees the same four: nothing more was published
    events = [json.loads(r.value) for r in records]
    assert sorted(e["type"] for e in events) == sorted(
        [
            "catalog.CategoryCreated",
            "catalog.ProductCreated",
            "catalog.PriceSet",
            "catalog.PriceSet",
        ]
    )
    mine = sorted((r for r in records if r.key == product["id"].encode()), key=lambda r: r.offset)
    assert [json.loads(r.value)["type"] for r in mine] == [
        "catalog.ProductCreated", "catalog.PriceSet", "catalog.PriceSet"
    ]  # fmt: skip
    assert [json.loads(r.value)["data"].get("amount") for r in mine[1:]] == ["1.50", "1.75"]
    assert len({r.partition for r in mine}) == 1


def broker_password(settings: CatalogSettings) -> str:
    assert settings.kafka_password is not None
    return settings.kafka_password.get_secret_value()
