"""The provider interface: what the payment service asks of whoever moves the money. The
payment's and the refund's ids are the provider-side idempotency keys, so a retried call never
charges or refunds twice. A provider that cannot answer raises ProviderUnavailable (the
request fails with 503 and nothing is recorded; the client retries with the same
Idempotency-Key).

SandboxProvider is the built-in one: it moves no money and answers deterministically from the
payment source, so tests and the end-to-end flow can choose their outcome:

    sandbox:approve              authorized (declined above the sandbox limit: limit_exceeded)
    sandbox:decline              declined, card_declined
    sandbox:insufficient-funds   declined, insufficient_funds
    sandbox:unavailable          the provider does not answer (503)
    any other source             declined, unknown_source
"""

import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


class ProviderUnavailable(Exception):
    """The provider did not answer; nothing happened there."""


@dataclass(frozen=True)
class Authorization:
    approved: bool
    reference: str | None = None
    decline_code: str | None = None


class Provider(Protocol):
    name: str

    async def authorize(
        self, *, payment_id: uuid.UUID, amount: Decimal, currency: str, source: str
    ) -> Authorization: ...

    async def capture(self, *, reference: str, amount: Decimal) -> None: ...

    async def void(self, *, reference: str) -> None: ...

    async def refund(self, *, reference: str, refund_id: uuid.UUID, amount: Decimal) -> None: ...


DECLINES = {
    "sandbox:decline": "card_declined",
    "sandbox:insufficient-funds": "insufficient_funds",
}


class SandboxProvider:
    name = "sandbox"

    def __init__(self, limit: Decimal) -> None:
        self.limit = limit

    async def authorize(
        self, *, payment_id: uuid.UUID, amount: Decimal, currency: str, source: str
    ) -> Authorization:
        if source == "sandbox:unavailable":
            raise ProviderUnavailable("the sandbox was asked not to answer")
        if source in DECLINES:
            return Authorization(approved=False, decline_code=DECLINES[source])
        if source != "sandbox:approve":
            return Authorization(approved=False, decline_code="unknown_source")
        if amount > self.limit:
            return Authorization(approved=False, decline_code="limit_exceeded")
        reference = "sbx_" + hashlib.sha256(payment_id.bytes).hexdigest()[:24]
        return Authorization(approved=True, reference=reference)

    async def capture(self, *, reference: str, amount: Decimal) -> None:
        return None

    async def void(self, *, reference: str) -> None:
        return None

    async def refund(self, *, reference: str, refund_id: uuid.UUID, amount: Decimal) -> None:
        return None
