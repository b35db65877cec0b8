"""`search-migrate upgrade|downgrade|check|current [revision]` (mach_service_kit.migrations;
the database's URL is all it reads)."""

import sys
from pathlib import Path

from mach_service_kit import migrations
from search import SERVICE


def main(argv: list[str] | None = None) -> int:
    return migrations.service_main(SERVICE, Path(__file__).parent, argv)


if __name__ == "__main__":
    sys.exit(main())
