"""`order-relay`: publishes the order's outbox to order.events (its own systemd unit
beside the API; one instance per database publishes at a time)."""

import asyncio

from mach_service_kit.relay import serve
from order.models import outbox
from order.settings import get_settings


def main() -> None:
    asyncio.run(serve(get_settings(), outbox.table))
