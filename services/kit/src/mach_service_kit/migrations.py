"""Alembic for every service the same way: the migrations live in the service's package
(`<service>/migrations`), the URL comes from the service's settings, never from a file, and
they run over asyncpg like the app."""

import argparse
import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def config(script_location: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["url"] = url
    return cfg


def run(metadata: sa.MetaData) -> None:
    """The body of a service's migrations/env.py."""
    url = context.config.attributes["url"]

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(online())


def main(argv: list[str] | None, script_location: Path, url: str) -> int:
    """`<service>-migrate upgrade|downgrade|check|current [revision]`: the schema migrations,
    run as their own step before a new version starts (role mach_services)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("action", choices=["upgrade", "downgrade", "check", "current"])
    parser.add_argument("revision", nargs="?", default="head")
    args = parser.parse_args(argv)
    cfg = config(script_location, url)
    if args.action == "upgrade":
        command.upgrade(cfg, args.revision)
    elif args.action == "downgrade":
        command.downgrade(cfg, args.revision)
    elif args.action == "check":
        command.check(cfg)  # fails when the models and the migrations disagree
    else:
        command.current(cfg)
    return 0


def service_main(service: str, package: Path, argv: list[str] | None = None) -> int:
    """`main` for a service whose settings need more than a database (a Redis, a search
    cluster): the migrations read the database's URL only, so the migration step is given
    no other credential. `package` is the service's package directory."""
    from mach_service_kit.settings import ServiceSettings, load_settings

    settings = load_settings(ServiceSettings, service_name=service)
    return main(argv, package / "migrations", settings.database_url.get_secret_value())
