from functools import lru_cache
from typing import Self

from pydantic import SecretStr, model_validator
from redis.asyncio.connection import parse_url

from cart import SERVICE
from mach_service_kit import ServiceSettings, load_settings
from mach_service_kit.settings import PLACEHOLDERS


class CartSettings(ServiceSettings):
    service_name: str = SERVICE
    # Carts belong to whoever holds their id or their token; nobody edits others' carts.
    write_role: str | None = None
    # redis[s]://cart:<password>@<host>:<port>/0 — the service's ACL user (catalog_redis_users:
    # keys under cart: only). With `redis_sentinels` set, host and port are not used: the
    # master of `redis_master_name` is asked of the Sentinels (and again after a failover).
    redis_url: SecretStr
    redis_sentinels: str | None = None  # host:port[,host:port]
    redis_master_name: str = "mach"
    redis_sentinel_username: str | None = None
    redis_sentinel_password: SecretStr | None = None
    redis_ca_file: str | None = None
    # The catalog's base URL (through the mesh on the fleet) and how long a call may take.
    catalog_url: str = "http://127.0.0.1:8101"
    catalog_timeout_s: float = 2.0
    # A session cart expires this long after its last change (a week).
    session_ttl_s: int = 7 * 24 * 3600
    max_lines: int = 50
    max_quantity: int = 99

    @model_validator(mode="after")
    def _redis_credentials_outside_dev(self) -> Self:
        if self.environment in ("dev", "test"):
            return self
        url = parse_url(self.redis_url.get_secret_value())
        password = str(url.get("password") or "")
        if password.lower() in PLACEHOLDERS:
            raise ValueError(
                f"redis_url carries a placeholder password; {self.environment} needs the "
                "cart user's password from Vault"
            )
        if self.redis_url.get_secret_value().split(":", 1)[0] != "rediss":
            raise ValueError(f"{self.environment} reaches Redis over TLS only (rediss://)")
        return self


@lru_cache
def get_settings() -> CartSettings:
    return load_settings(CartSettings)
