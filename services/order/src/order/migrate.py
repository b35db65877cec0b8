"""`order-migrate upgrade|downgrade|check|current [revision]` (mach_service_kit.migrations)."""

import sys
from pathlib import Path

from mach_service_kit import migrations
from order.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    url = get_settings().database_url.get_secret_value()
    return migrations.main(argv, Path(__file__).parent / "migrations", url)


if __name__ == "__main__":
    sys.exit(main())
