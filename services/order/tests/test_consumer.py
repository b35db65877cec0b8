"""`order-consumer`, run as its unit runs it, on a real Kafka broker (TLS, SCRAM as the
order's own user) and its own committed database: the catalog's prices arrive, an order is
placed at them, the inventory's reservation and the payment's authorization (built to their
contracts) confirm it, an event about an order never placed goes to the dead-letter topic,
and SIGTERM stops the consumer cleanly."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import saga
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from order.consumer import TOPICS
from order.main import create_app
from order.migrate import main as migrate
from order.settings import OrderSettings, get_settings

from conftest import TEA, bearer
from mach_service_kit import kafka
from mach_service_kit.pytest_plugin import migrated_database
from mach_service_kit.testing import consume, kafka_server


@pytest.fixture(scope="module")
def broker():
    with kafka_server(users=["order"]) as server:
        yield server


@pytest.fixture(scope="module")
def settings(pg, broker, issuer) -> OrderSettings:
    url = migrated_database(pg, "order_consumer", migrate, get_settings.cache_clear)
    return OrderSettings(
        environment="test", database_url=url, jwt_jwks_url=issuer.jwks_url,
        jwt_issuer=issuer.issuer, kafka_bootstrap=broker.bootstrap,
        kafka_password=broker.users["order"], kafka_ca_file=broker.ca_file,
    )  # fmt: skip


async def until(check, seconds: float = 30):
    for _ in range(int(seconds * 5)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError("timed out")


async def test_the_consumer_drives_the_saga(settings, issuer):
    admin = AIOKafkaAdminClient(**kafka.options(settings))
    await admin.start()
    await admin.create_topics([NewTopic(t, 3, 1) for t in TOPICS + [t + ".dlq" for t in TOPICS]])
    await admin.close()
    producer = kafka.producer(settings)
    await producer.start()

    async def send(envelope) -> None:
        topic = envelope["type"].split(".")[0] + ".events"
        await producer.send_and_wait(topic, json.dumps(envelope).encode(),
                                     key=envelope["key"].encode())  # fmt: skip

    env = {**os.environ, "MACH_ENVIRONMENT": "test",
           "MACH_DATABASE_URL": settings.database_url.get_secret_value(),
           "MACH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "MACH_KAFKA_PASSWORD": settings.kafka_password.get_secret_value(),  # type: ignore[union-attr]
           "MACH_KAFKA_CA_FILE": settings.kafka_ca_file}  # fmt: skip
    process = subprocess.Popen([str(Path(sys.executable).parent / "order-consumer")], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    app = create_app(settings)
    alice = bearer(issuer, "alice")
    try:
        await send(saga.price_set(TEA, "3.20"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://order") as c:  # fmt: skip

            async def placed():
                r = await saga.place(c, alice, saga.body((TEA, 5)))
                return r.json() if r.status_code == 201 else None

            order = await until(placed)
            assert order["total"] == "16.00"

            async def status(wanted):
                async def check():
                    got = (await c.get(f"/v1/orders/{order['id']}", headers=alice)).json()
                    return got if got["status"] == wanted else None

                return await until(check)

            await send(saga.reservation(order))
            waiting = await status("awaiting_payment")
            await send(saga.payment(waiting))
            await status("confirmed")
        stranger = {"id": "00000000-0000-0000-0000-00000000beef", "total": "1.00",
                    "currency": "EUR", "lines": []}  # fmt: skip
        await send(saga.payment(stranger))
        (dead,) = await consume(settings, "payment.events.dlq", 1)
        assert b"no order" in dict(dead.headers)["dlq-reason"]
    finally:
        await producer.stop()
        await app.state.database.close()
        process.send_signal(signal.SIGTERM)
        rc = process.wait(30)
    assert rc == 0, process.stderr.read().decode()[-2000:] if process.stderr else ""
