import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from mach_service_kit import ProblemError
from mach_service_kit.auth import roles
from order.deps import CallerDep, IdempotencyKey, SessionDep
from order.models import OrderView, idempotency
from order.orders import service
from order.orders.schemas import History, HistoryEntry, OrderIn, OrderList, OrderOut

router = APIRouter(prefix="/v1/orders", tags=["orders"])


def _is_staff(request: Request, claims: dict[str, Any]) -> bool:
    settings = request.app.state.settings
    return bool(settings.write_role) and settings.write_role in roles(claims, settings.jwt_audience)


async def _visible(
    request: Request, claims: dict[str, Any], db_session: SessionDep, order_id: uuid.UUID
) -> OrderView:
    """The order if it is the caller's own or the caller is support staff; otherwise it does
    not exist for them (404, so order ids reveal nothing)."""
    found = await db_session.get(OrderView, order_id)
    if found is None or (found.customer != claims["sub"] and not _is_staff(request, claims)):
        raise ProblemError(404, f"no order {order_id}")
    return found


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrderOut)
async def place_order(
    data: OrderIn, key: IdempotencyKey, db_session: SessionDep, claims: CallerDep,
    response: Response,
) -> OrderOut:  # fmt: skip
    """Places the caller's order at the catalog's current prices; the saga takes it from
    there (status placed → awaiting_payment → confirmed, or rejected). The same
    Idempotency-Key with the same body returns the first response; with another, 422."""
    body = data.model_dump(mode="json")
    replay = await idempotency.begin(
        db_session, scope=claims["sub"], key=key, operation="place_order", payload=body
    )
    if replay is not None:
        return OrderOut.model_validate(replay.answer(response))
    out = await service.place(db_session=db_session, customer=claims["sub"], data=data)
    location = f"/v1/orders/{out.id}"
    await idempotency.finish(
        db_session, scope=claims["sub"], key=key, status_code=201,
        body=out.model_dump(mode="json"), location=location,
    )  # fmt: skip
    response.headers["Location"] = location
    return out


@router.get("", response_model=OrderList)
async def list_orders(
    db_session: SessionDep, claims: CallerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> OrderList:  # fmt: skip
    """The caller's own orders, newest first."""
    found = await service.for_customer(db_session, claims["sub"], limit)
    return OrderList(items=[OrderOut.model_validate(o) for o in found])


@router.get("/{order_id}", response_model=OrderOut)
async def get_order(
    order_id: uuid.UUID, request: Request, db_session: SessionDep, claims: CallerDep
) -> OrderOut:
    """The read model: what the order's events have made of it so far."""
    return OrderOut.model_validate(await _visible(request, claims, db_session, order_id))


@router.get("/{order_id}/history", response_model=History)
async def order_history(
    order_id: uuid.UUID, request: Request, db_session: SessionDep, claims: CallerDep
) -> History:
    """The order's events, in order (the payment source is left out)."""
    await _visible(request, claims, db_session, order_id)
    rows = await service.history(db_session, order_id)
    return History(items=[
        HistoryEntry(seq=r.seq, type=r.type, recorded_at=r.recorded_at,
                     data={k: v for k, v in r.data.items() if k != "payment_source"})
        for r in rows
    ])  # fmt: skip


@router.post("/{order_id}/cancel", response_model=OrderOut)
async def cancel_order(
    order_id: uuid.UUID, request: Request, db_session: SessionDep, claims: CallerDep
) -> OrderOut:
    """Cancels an open order (placed or awaiting payment); the stock and the payment are
    released by their services on OrderCancelled. Again on a cancelled order, the same."""
    await _visible(request, claims, db_session, order_id)
    return await service.cancel(db_session=db_session, order_id=order_id)
