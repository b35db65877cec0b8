"""`catalog-migrate [upgrade|check] [revision]`: the schema migrations, run as their own step
before a new version starts (role mach_services), with the same settings as the app."""

import argparse
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from catalog.settings import get_settings
from mach_service_kit.migrations import config

HERE = Path(__file__).parent


def alembic_config() -> Config:
    return config(HERE / "migrations", get_settings().database_url.get_secret_value())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["upgrade", "downgrade", "check", "current"])
    parser.add_argument("revision", nargs="?", default="head")
    args = parser.parse_args(argv)
    cfg = alembic_config()
    if args.action == "upgrade":
        command.upgrade(cfg, args.revision)
    elif args.action == "downgrade":
        command.downgrade(cfg, args.revision)
    elif args.action == "check":
        command.check(cfg)  # fails when the models and the migrations disagree
    else:
        command.current(cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
