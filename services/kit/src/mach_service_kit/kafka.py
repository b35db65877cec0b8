"""Kafka clients as every service makes them: its own SCRAM user over TLS (or plaintext in dev
and test), its name as client id and consumer group, idempotent producers (acks=all), manual
offset commits after an event is handled."""

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.helpers import create_ssl_context

from mach_service_kit.settings import ServiceSettings


def options(settings: ServiceSettings) -> dict[str, Any]:
    if not settings.kafka_bootstrap:
        raise ValueError("kafka_bootstrap is not set")
    common: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap.split(","),
        "client_id": settings.service_name,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol == "SASL_SSL":
        assert settings.kafka_password is not None  # the settings refuse it otherwise
        common |= {
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": settings.kafka_username or settings.service_name,
            "sasl_plain_password": settings.kafka_password.get_secret_value(),
            "ssl_context": create_ssl_context(cafile=settings.kafka_ca_file),
        }
    return common


def producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(**options(settings), enable_idempotence=True, acks="all")


def consumer(settings: ServiceSettings, *topics: str, group: bool = True) -> AIOKafkaConsumer:
    """The service's consumer (group = its name) of `topics`, or with `group=False` and no
    topics one that is assigned partitions by hand (replay)."""
    return AIOKafkaConsumer(
        *topics,
        **options(settings),
        group_id=settings.service_name if group else None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
