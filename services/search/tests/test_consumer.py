"""`search-consumer`, run as its unit runs it, on a real Kafka broker (TLS, SCRAM as the
search service's own user) and the real OpenSearch node: it creates the index, and the
catalog's and the inventory's events (built to their contracts) become a searchable,
priced, in-stock product; SIGTERM stops it cleanly."""

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

from conftest import price, product, stock
from mach_service_kit import kafka
from mach_service_kit.pytest_plugin import migrated_database
from mach_service_kit.testing import kafka_server
from search.consumer import TOPICS
from search.main import create_app
from search.migrate import main as migrate
from search.settings import SearchSettings, get_settings


@pytest.fixture(scope="module")
def broker():
    with kafka_server(users=["search"]) as server:
        yield server


@pytest.fixture(scope="module")
def settings(pg, broker, issuer, opensearch) -> SearchSettings:
    url = migrated_database(pg, "search_consumer", migrate, get_settings.cache_clear)
    return SearchSettings(
        environment="test", database_url=url, jwt_jwks_url=issuer.jwks_url,
        jwt_issuer=issuer.issuer, kafka_bootstrap=broker.bootstrap,
        kafka_password=broker.users["search"], kafka_ca_file=broker.ca_file,
        opensearch_hosts=opensearch.url, index_alias="search-consumer-test", index_shards=1,
        index_replicas=0,
    )  # fmt: skip


async def test_the_consumer_indexes_the_events(settings, category):
    admin = AIOKafkaAdminClient(**kafka.options(settings))
    await admin.start()
    await admin.create_topics([NewTopic(t, 3, 1) for t in TOPICS + [t + ".dlq" for t in TOPICS]])
    await admin.close()
    env = {**os.environ, "MACH_ENVIRONMENT": "test",
           "MACH_DATABASE_URL": settings.database_url.get_secret_value(),
           "MACH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "MACH_KAFKA_PASSWORD": settings.kafka_password.get_secret_value(),  # type: ignore[union-attr]
           "MACH_KAFKA_CA_FILE": settings.kafka_ca_file,
           "MACH_OPENSEARCH_HOSTS": settings.opensearch_hosts,
           "MACH_INDEX_ALIAS": settings.index_alias, "MACH_INDEX_SHARDS": "1",
           "MACH_INDEX_REPLICAS": "0"}  # fmt: skip
    process = subprocess.Popen([str(Path(sys.executable).parent / "search-consumer")], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    producer = kafka.producer(settings)
    await producer.start()
    app = create_app(settings)
    try:
        mug = product(category, "MUG-9", "Enamel mug", colour="blue")
        for event in (mug, price(mug, "12.50"), stock(mug, "berlin", 3)):
            topic = event["type"].split(".")[0] + ".events"
            await producer.send_and_wait(topic, json.dumps(event).encode(),
                                         key=event["key"].encode())  # fmt: skip
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://search") as c:
            wanted = {"q": "mug", "category_id": category, "in_stock": "true", "max_price": "20"}
            for _ in range(150):
                r = await c.get("/v1/search", params=wanted)
                if r.status_code == 200 and r.json()["total"] == 1:
                    break
                await asyncio.sleep(0.2)
            assert r.json()["hits"][0]["sku"] == "MUG-9", r.text
    finally:
        await producer.stop()
        await app.state.index.close()
        await app.state.database.close()
        process.send_signal(signal.SIGTERM)
        rc = process.wait(30)
    assert rc == 0, process.stderr.read().decode()[-2000:] if process.stderr else ""
