from functools import lru_cache

from mach_service_kit import ServiceSettings, load_settings
from order import SERVICE


class OrderSettings(ServiceSettings):
    service_name: str = SERVICE
    # Support staff: read any customer's orders (customers read their own).
    write_role: str | None = "order-editor"
    max_lines: int = 100


@lru_cache
def get_settings() -> OrderSettings:
    return load_settings(OrderSettings)
