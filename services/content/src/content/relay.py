"""`content-relay`: publishes the content's outbox to content.events (its own systemd unit
beside the API; one instance per database publishes at a time)."""

import asyncio

from content.models import outbox
from content.settings import get_settings
from mach_service_kit.relay import serve


def main() -> None:
    asyncio.run(serve(get_settings(), outbox.table))
