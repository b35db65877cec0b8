"""Service settings from the environment (prefix MACH_) and from credential files: a file in
`$CREDENTIALS_DIRECTORY` (systemd's LoadCredential=, written by the mach_services role from
Vault) named like the variable (`mach_database_url`) sets the field, so no secret sits in the
unit or the environment.
Placeholder secrets are refused outside dev and test."""

import os
from typing import Any, Literal, Self, TypeVar

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

# Values that mean "nobody set this": accepted in dev and test only.
PLACEHOLDERS = frozenset({"", "change-me", "changeme", "placeholder", "secret", "password", "dev"})


class ServiceSettings(BaseSettings):
    """What every service needs; a service subclasses it to add its own fields."""

    model_config = SettingsConfigDict(env_prefix="MACH_", extra="forbid", frozen=True)

    service_name: str
    environment: Literal["dev", "test", "staging", "prod"] = "prod"
    # postgresql+asyncpg://<role>:<password>@<host>:<port>/<database>
    database_url: SecretStr
    database_pool_size: int = 5
    # Keycloak's realm: tokens are checked against its JWKS, issuer and audience.
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    # Realm role a caller needs for writes (reads are open). Outside dev and test every write
    # needs a valid token from the issuer, with this role when it is set.
    write_role: str | None = None
    max_body_bytes: int = 1_048_576
    # Kafka: brokers as host:port[,host:port]; unset = the service publishes and consumes
    # nothing. Outside dev and test: SASL_SSL with SCRAM-SHA-512 as the service's own user
    # (services/catalog.yml's ACLs), the cluster's CA.
    kafka_bootstrap: str | None = None
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = "SASL_SSL"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ca_file: str | None = None
    # OTLP/HTTP traces endpoint (Jaeger's collector); unset = no export. Over https, the CA
    # that signed its certificate (the platform's internal CA; the system's when unset).
    otlp_endpoint: str | None = None
    otlp_ca_file: str | None = None
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _no_placeholders_outside_dev(self) -> Self:
        if self.environment in ("dev", "test"):
            return self
        password = make_url(self.database_url.get_secret_value()).password
        if password is None or str(password).lower() in PLACEHOLDERS:
            raise ValueError(
                f"database_url carries a placeholder password; {self.environment} needs the "
                "credential from Vault (MACH_DATABASE_URL or the database_url credential file)"
            )
        if self.kafka_bootstrap and (
            self.kafka_security_protocol != "SASL_SSL"
            or self.kafka_password is None
            or self.kafka_password.get_secret_value().lower() in PLACEHOLDERS
        ):
            raise ValueError(
                f"{self.environment} reaches Kafka over SASL_SSL with the service's SCRAM "
                "password (kafka_password from Vault)"
            )
        if not (self.jwt_jwks_url and self.jwt_issuer):
            raise ValueError(
                f"{self.environment} checks bearer tokens: set jwt_jwks_url and jwt_issuer "
                "(Keycloak's realm)"
            )
        return self


S = TypeVar("S", bound=ServiceSettings)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Settings read now (never at import time), with systemd credentials as secret files."""
    secrets_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    options: dict[str, Any] = {"_secrets_dir": secrets_dir} if secrets_dir else {}
    return cls(**options, **overrides)
