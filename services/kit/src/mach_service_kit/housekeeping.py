"""`<service>-housekeeping`: a service's periodic chores (releasing expired holds, purging old
idempotency keys), each in its own transaction, run once per call; the mach_services role
runs it from a systemd timer. Prints what each chore did."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from mach_service_kit import logs
from mach_service_kit.db import Database
from mach_service_kit.settings import ServiceSettings

Chore = Callable[[AsyncSession], Awaitable[int]]
log = logging.getLogger("mach_service_kit.housekeeping")


async def run_chores(settings: ServiceSettings, chores: Mapping[str, Chore]) -> dict[str, int]:
    """Runs each chore in a transaction of its own; returns how many rows each touched."""
    database = Database(settings)
    done: dict[str, int] = {}
    try:
        for name, chore in chores.items():
            async with database.sessions() as db_session, db_session.begin():
                done[name] = await chore(db_session)
            log.info("%s: %d", name, done[name])
    finally:
        await database.close()
    return done


def main(settings: ServiceSettings, chores: Mapping[str, Chore]) -> int:
    logs.configure(settings.service_name, settings.log_level)
    for name, count in asyncio.run(run_chores(settings, chores)).items():
        print(f"{name}: {count}")
    return 0
