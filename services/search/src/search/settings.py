from functools import lru_cache
from typing import Self

from pydantic import SecretStr, model_validator

from mach_service_kit import ServiceSettings, load_settings
from mach_service_kit.settings import PLACEHOLDERS
from search import INDEX, SERVICE


class SearchSettings(ServiceSettings):
    service_name: str = SERVICE
    # Search is read-only over HTTP; its writes come from the events it consumes.
    write_role: str | None = None
    # The search cluster's members (https://host:9200[,https://host:9200]) and the service's
    # internal user there (opensearch_users: indices search-*).
    opensearch_hosts: str = "http://127.0.0.1:9200"
    opensearch_username: str | None = None
    opensearch_password: SecretStr | None = None
    opensearch_ca_file: str | None = None
    opensearch_timeout_s: float = 5.0
    # The alias queries and writes go through; the consumer creates `<alias>-v1` behind it.
    index_alias: str = INDEX
    index_shards: int = 3
    index_replicas: int = 1
    max_page: int = 100

    @model_validator(mode="after")
    def _cluster_credentials_outside_dev(self) -> Self:
        if self.environment in ("dev", "test"):
            return self
        if any(not h.strip().startswith("https://") for h in self.opensearch_hosts.split(",")):
            raise ValueError(f"{self.environment} reaches the search cluster over TLS only")
        password = self.opensearch_password.get_secret_value() if self.opensearch_password else ""
        if not self.opensearch_username or password.lower() in PLACEHOLDERS:
            raise ValueError(
                f"{self.environment} needs the search user's password from Vault "
                "(opensearch_username, opensearch_password)"
            )
        return self


@lru_cache
def get_settings() -> SearchSettings:
    return load_settings(SearchSettings)
