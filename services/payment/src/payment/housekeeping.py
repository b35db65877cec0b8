"""`payment-housekeeping`: purges Idempotency-Keys older than the retention (a systemd timer
runs it; mach_service_kit.housekeeping)."""

import sys
from datetime import timedelta

from mach_service_kit import housekeeping
from mach_service_kit.idempotency import Idempotency
from payment.models import idempotency
from payment.settings import get_settings


def main() -> int:
    settings = get_settings()
    keys = Idempotency(idempotency.table, timedelta(hours=settings.idempotency_retention_hours))
    return housekeeping.main(settings, {"idempotency_keys_purged": keys.purge})


if __name__ == "__main__":
    sys.exit(main())
