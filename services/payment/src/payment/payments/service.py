"""Payments: the provider is asked first, then the outcome is recorded with its event in one
transaction. A payment's row is locked while it changes, so a capture, a void and a refund
of the same payment run one after the other; the database's checks hold the amounts."""

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from mach_service_kit import ProblemError
from payment import TOPIC
from payment.models import LIVE, Payment, Refund, outbox
from payment.payments.schemas import (
    PaymentIn,
    PaymentOut,
    PaymentRefunded,
    RefundIn,
    RefundOut,
)
from payment.provider import Provider, ProviderUnavailable

EVENTS = {
    "authorized": "payment.PaymentAuthorized",
    "declined": "payment.PaymentDeclined",
    "captured": "payment.PaymentCaptured",
    "voided": "payment.PaymentVoided",
}


def _unavailable(exc: ProviderUnavailable) -> ProblemError:
    return ProblemError(
        503, f"the payment provider did not answer ({exc}); retry with the same Idempotency-Key",
        headers={"Retry-After": "5"},
    )  # fmt: skip


async def _record(db_session: AsyncSession, payment: Payment, event_type: str) -> PaymentOut:
    await db_session.flush()
    await db_session.refresh(payment)
    out = PaymentOut.model_validate(payment)
    await outbox.record(
        db_session, topic=TOPIC, event_type=event_type, key=str(payment.order_id),
        data=out.model_dump(mode="json"),
    )  # fmt: skip
    return out


async def _locked(db_session: AsyncSession, payment_id: uuid.UUID) -> Payment:
    found = await db_session.get(Payment, payment_id, with_for_update=True)
    if found is None:
        raise ProblemError(404, f"no payment {payment_id}")
    return found


async def get(*, db_session: AsyncSession, payment_id: uuid.UUID) -> Payment:
    found = await db_session.get(Payment, payment_id)
    if found is None:
        raise ProblemError(404, f"no payment {payment_id}")
    return found


async def for_order(*, db_session: AsyncSession, order_id: uuid.UUID) -> list[Payment]:
    query = sa.select(Payment).where(Payment.order_id == order_id)
    return list((await db_session.scalars(query.order_by(Payment.created_at, Payment.id))).all())


async def create(*, db_session: AsyncSession, provider: Provider, data: PaymentIn) -> PaymentOut:
    """Authorizes (and with `capture`, captures) the amount; a decline is recorded too (201,
    status "declined"). An order has one live payment at a time (409 for a second): the
    order's creates queue on a transaction lock, so no second authorization is even asked
    for while the first is being recorded (the unique index backs this up)."""
    lock = int.from_bytes(data.order_id.bytes[:8], "big", signed=True)
    await db_session.execute(sa.select(sa.func.pg_advisory_xact_lock(lock)))
    live = await db_session.scalar(
        sa.select(Payment.id).where(Payment.order_id == data.order_id, Payment.status.in_(LIVE))
    )
    if live is not None:
        raise ProblemError(
            409, f"order {data.order_id} already has payment {live}", payment_id=str(live)
        )
    payment_id = uuid.uuid4()
    try:
        outcome = await provider.authorize(
            payment_id=payment_id, amount=data.amount, currency=data.currency,
            source=data.source,
        )  # fmt: skip
        status = "authorized" if outcome.approved else "declined"
        if outcome.approved and data.capture:
            assert outcome.reference is not None
            await provider.capture(reference=outcome.reference, amount=data.amount)
            status = "captured"
    except ProviderUnavailable as exc:
        raise _unavailable(exc) from exc
    payment = Payment(
        id=payment_id, order_id=data.order_id, amount=data.amount, currency=data.currency,
        status=status, decline_code=outcome.decline_code, provider=provider.name,
        provider_reference=outcome.reference,
        captured_amount=data.amount if status == "captured" else Decimal(0),
    )  # fmt: skip
    db_session.add(payment)
    return await _record(db_session, payment, EVENTS[status])


async def capture(
    *, db_session: AsyncSession, provider: Provider, payment_id: uuid.UUID
) -> PaymentOut:
    """Takes the authorized amount; capturing a captured payment again changes nothing."""
    payment = await _locked(db_session, payment_id)
    if payment.status in ("captured", "partially_refunded", "refunded"):
        return PaymentOut.model_validate(payment)
    if payment.status != "authorized":
        raise ProblemError(
            409, f"the payment is {payment.status}; only an authorized one is captured"
        )
    assert payment.provider_reference is not None
    try:
        await provider.capture(reference=payment.provider_reference, amount=payment.amount)
    except ProviderUnavailable as exc:
        raise _unavailable(exc) from exc
    payment.status = "captured"
    payment.captured_amount = payment.amount
    return await _record(db_session, payment, EVENTS["captured"])


async def void(
    *, db_session: AsyncSession, provider: Provider, payment_id: uuid.UUID
) -> PaymentOut:
    """Releases an authorization (nothing was taken); voiding it again changes nothing."""
    payment = await _locked(db_session, payment_id)
    if payment.status == "voided":
        return PaymentOut.model_validate(payment)
    if payment.status != "authorized":
        raise ProblemError(
            409,
            f"the payment is {payment.status}; only an authorized one is voided "
            "(refund a captured one)",
        )
    assert payment.provider_reference is not None
    try:
        await provider.void(reference=payment.provider_reference)
    except ProviderUnavailable as exc:
        raise _unavailable(exc) from exc
    payment.status = "voided"
    return await _record(db_session, payment, EVENTS["voided"])


async def refund(
    *, db_session: AsyncSession, provider: Provider, payment_id: uuid.UUID, data: RefundIn
) -> RefundOut:
    """Gives back part or all of what was captured, never more (409)."""
    payment = await _locked(db_session, payment_id)
    if payment.status not in ("captured", "partially_refunded"):
        raise ProblemError(409, f"the payment is {payment.status}; only a captured one is refunded")
    remaining = payment.captured_amount - payment.refunded_amount
    if data.amount > remaining:
        raise ProblemError(
            409, f"the refund exceeds what remains to refund ({remaining})",
            remaining=str(remaining),
        )  # fmt: skip
    refund_id = uuid.uuid4()
    assert payment.provider_reference is not None
    try:
        await provider.refund(
            reference=payment.provider_reference, refund_id=refund_id, amount=data.amount
        )
    except ProviderUnavailable as exc:
        raise _unavailable(exc) from exc
    row = Refund(id=refund_id, payment_id=payment.id, amount=data.amount, reason=data.reason)
    db_session.add(row)
    payment.refunded_amount = payment.refunded_amount + data.amount
    payment.status = (
        "refunded" if payment.refunded_amount == payment.captured_amount else "partially_refunded"
    )
    await db_session.flush()
    await db_session.refresh(payment)
    await db_session.refresh(row)
    event = PaymentRefunded(payment=PaymentOut.model_validate(payment),
                            refund=RefundOut.model_validate(row))  # fmt: skip
    await outbox.record(
        db_session, topic=TOPIC, event_type="payment.PaymentRefunded",
        key=str(payment.order_id), data=event.model_dump(mode="json"),
    )  # fmt: skip
    return event.refund


async def refunds(*, db_session: AsyncSession, payment_id: uuid.UUID) -> list[Refund]:
    await get(db_session=db_session, payment_id=payment_id)
    query = sa.select(Refund).where(Refund.payment_id == payment_id)
    return list((await db_session.scalars(query.order_by(Refund.created_at, Refund.id))).all())
