from functools import lru_cache

from inventory import SERVICE
from mach_service_kit import ServiceSettings, load_settings


class InventorySettings(ServiceSettings):
    service_name: str = SERVICE
    # Adjusting stock and reserving it (the order service's account holds it too).
    write_role: str | None = "inventory-editor"
    # How long a held reservation lasts before the sweep releases it.
    reservation_ttl_seconds: int = 900


@lru_cache
def get_settings() -> InventorySettings:
    return load_settings(InventorySettings)
