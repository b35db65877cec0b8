"""`payment-relay`: publishes the payment's outbox to payment.events (its own systemd unit
beside the API; one instance per database publishes at a time)."""

import asyncio

from mach_service_kit.relay import serve
from payment.models import outbox
from payment.settings import get_settings


def main() -> None:
    asyncio.run(serve(get_settings(), outbox.table))
