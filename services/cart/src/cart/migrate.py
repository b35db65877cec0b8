"""`cart-migrate upgrade|downgrade|check|current [revision]` (mach_service_kit.migrations).
Migrations need the database and nothing else: the migration step gets no Redis password."""

import sys
from pathlib import Path

from cart import SERVICE
from mach_service_kit import ServiceSettings, load_settings, migrations


def main(argv: list[str] | None = None) -> int:
    settings = load_settings(ServiceSettings, service_name=SERVICE)
    return migrations.main(
        argv, Path(__file__).parent / "migrations", settings.database_url.get_secret_value()
    )


if __name__ == "__main__":
    sys.exit(main())
