import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from payment.deps import IdempotencyKey, ProviderDep, SessionDep, WriterDep
from payment.models import idempotency
from payment.payments import service
from payment.payments.schemas import (
    PaymentIn,
    PaymentList,
    PaymentOut,
    RefundIn,
    RefundList,
    RefundOut,
)

router = APIRouter(prefix="/v1/payments", tags=["payments"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PaymentOut)
async def create_payment(
    data: PaymentIn, key: IdempotencyKey, db_session: SessionDep, provider: ProviderDep,
    claims: WriterDep, response: Response,
) -> PaymentOut:  # fmt: skip
    """Authorizes the amount (captures it too with `capture`). A declined payment is created
    as well, with status "declined" and its decline_code. The same Idempotency-Key with the
    same body returns the first response; with another body, 422."""
    scope, body = claims.get("sub", ""), data.model_dump(mode="json")
    replay = await idempotency.begin(
        db_session, scope=scope, key=key, operation="create_payment", payload=body
    )
    if replay is not None:
        return PaymentOut.model_validate(replay.answer(response))
    out = await service.create(db_session=db_session, provider=provider, data=data)
    location = f"/v1/payments/{out.id}"
    await idempotency.finish(
        db_session, scope=scope, key=key, status_code=201, body=out.model_dump(mode="json"),
        location=location,
    )  # fmt: skip
    response.headers["Location"] = location
    return out


@router.get("", response_model=PaymentList)
async def list_payments(
    db_session: SessionDep, _: WriterDep, order_id: Annotated[uuid.UUID, Query()]
) -> PaymentList:
    """An order's payments, oldest first (at most one live; declined and voided ones too)."""
    found = await service.for_order(db_session=db_session, order_id=order_id)
    return PaymentList(items=[PaymentOut.model_validate(p) for p in found])


@router.get("/{payment_id}", response_model=PaymentOut)
async def get_payment(payment_id: uuid.UUID, db_session: SessionDep, _: WriterDep) -> PaymentOut:
    return PaymentOut.model_validate(
        await service.get(db_session=db_session, payment_id=payment_id)
    )


@router.post("/{payment_id}/capture", response_model=PaymentOut)
async def capture_payment(
    payment_id: uuid.UUID, db_session: SessionDep, provider: ProviderDep, _: WriterDep
) -> PaymentOut:
    """Takes the authorized amount; again on a captured payment, the same answer."""
    return await service.capture(db_session=db_session, provider=provider, payment_id=payment_id)


@router.post("/{payment_id}/void", response_model=PaymentOut)
async def void_payment(
    payment_id: uuid.UUID, db_session: SessionDep, provider: ProviderDep, _: WriterDep
) -> PaymentOut:
    """Releases an authorization; again on a voided payment, the same answer."""
    return await service.void(db_session=db_session, provider=provider, payment_id=payment_id)


@router.post("/{payment_id}/refunds", status_code=status.HTTP_201_CREATED, response_model=RefundOut)
async def refund_payment(
    payment_id: uuid.UUID, data: RefundIn, key: IdempotencyKey, db_session: SessionDep,
    provider: ProviderDep, claims: WriterDep, response: Response,
) -> RefundOut:  # fmt: skip
    """Refunds part or all of what remains captured. Two refunds of the same amount are two
    refunds; a retry is told apart by its Idempotency-Key."""
    scope = claims.get("sub", "")
    body = {"payment_id": str(payment_id), **data.model_dump(mode="json")}
    replay = await idempotency.begin(
        db_session, scope=scope, key=key, operation="refund_payment", payload=body
    )
    if replay is not None:
        return RefundOut.model_validate(replay.answer(response))
    out = await service.refund(
        db_session=db_session, provider=provider, payment_id=payment_id, data=data
    )
    await idempotency.finish(
        db_session, scope=scope, key=key, status_code=201, body=out.model_dump(mode="json")
    )
    return out


@router.get("/{payment_id}/refunds", response_model=RefundList)
async def list_refunds(payment_id: uuid.UUID, db_session: SessionDep, _: WriterDep) -> RefundList:
    found = await service.refunds(db_session=db_session, payment_id=payment_id)
    return RefundList(items=[RefundOut.model_validate(r) for r in found])
