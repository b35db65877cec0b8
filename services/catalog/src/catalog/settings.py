from functools import lru_cache

from catalog import SERVICE
from mach_service_kit import ServiceSettings, load_settings


class CatalogSettings(ServiceSettings):
    service_name: str = SERVICE
    write_role: str | None = "catalog-editor"


@lru_cache
def get_settings() -> CatalogSettings:
    return load_settings(CatalogSettings)
