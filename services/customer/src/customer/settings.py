from functools import lru_cache

from customer import SERVICE
from mach_service_kit import ServiceSettings, load_settings


class CustomerSettings(ServiceSettings):
    service_name: str = SERVICE
    # Support staff: read any customer.
    write_role: str | None = "customer-editor"
    max_addresses: int = 20


@lru_cache
def get_settings() -> CustomerSettings:
    return load_settings(CustomerSettings)
