"""`catalog-relay`: publishes the catalog's outbox to catalog.events (its own systemd unit
beside the API; one instance per database publishes at a time)."""

import asyncio

from catalog.models import outbox
from catalog.settings import get_settings
from mach_service_kit.relay import serve


def main() -> None:
    asyncio.run(serve(get_settings(), outbox.table))
