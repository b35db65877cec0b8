"""`inventory-housekeeping`: releases held reservations past their time (a systemd timer runs
it; mach_service_kit.housekeeping)."""

import sys

from inventory.reservations.service import release_expired
from inventory.settings import get_settings
from mach_service_kit import housekeeping


def main() -> int:
    return housekeeping.main(
        get_settings(),
        {"reservations_released": lambda db_session: release_expired(db_session=db_session)},
    )


if __name__ == "__main__":
    sys.exit(main())
