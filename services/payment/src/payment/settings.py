from functools import lru_cache
from typing import Literal, Self

from pydantic import model_validator

from mach_service_kit import ServiceSettings, load_settings
from payment import SERVICE


class PaymentSettings(ServiceSettings):
    service_name: str = SERVICE
    # Every operation, reads too (payments are nobody else's business): the order service's
    # account and support staff hold it.
    write_role: str | None = "payment-editor"
    # The provider behind payment.provider.Provider. Only the sandbox is built in; it moves
    # no money, so production refuses it.
    provider: Literal["sandbox"] = "sandbox"
    # The sandbox declines any single payment above this (code "limit_exceeded").
    sandbox_limit: int = 10_000
    # How long an Idempotency-Key is remembered (housekeeping purges older ones).
    idempotency_retention_hours: int = 24

    @model_validator(mode="after")
    def _no_sandbox_in_prod(self) -> Self:
        if self.environment == "prod" and self.provider == "sandbox":
            raise ValueError(
                "prod needs a real payment provider: the sandbox moves no money "
                "(set MACH_PROVIDER to a provider that payment.provider implements)"
            )
        return self


@lru_cache
def get_settings() -> PaymentSettings:
    return load_settings(PaymentSettings)
