"""`inventory-relay`: publishes the inventory's outbox to inventory.events (its own systemd unit
beside the API; one instance per database publishes at a time)."""

import asyncio

from inventory.models import outbox
from inventory.settings import get_settings
from mach_service_kit.relay import serve


def main() -> None:
    asyncio.run(serve(get_settings(), outbox.table))
