import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Response, status

from cart.carts import service
from cart.carts.schemas import CartIn, CartOut, QuantityIn
from cart.deps import (
    CallerDep,
    CatalogDep,
    MaybeCallerDep,
    SessionCartsDep,
    SessionDep,
    SettingsDep,
)
from cart.store import Cart
from mach_service_kit.etag import set_etag

router = APIRouter(prefix="/v1/carts", tags=["carts"])
IfMatch = Annotated[
    str | None, Header(description="the ETag of the version being changed (optional)")
]


def _out(cart: Cart, response: Response) -> CartOut:
    set_etag(response, cart.version)
    return CartOut.of(cart)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CartOut)
async def create_cart(
    data: CartIn, claims: MaybeCallerDep, db_session: SessionDep, carts: SessionCartsDep,
    response: Response,
) -> CartOut:  # fmt: skip
    """A new cart: the caller's with a token, a session cart (its id is its key) without."""
    cart = await service.create(db_session=db_session, carts=carts, claims=claims,
                                currency=data.currency)  # fmt: skip
    response.headers["Location"] = f"{router.prefix}/{cart.id}"
    return _out(cart, response)


@router.get("/{cart_id}", response_model=CartOut)
async def get_cart(
    cart_id: uuid.UUID, claims: MaybeCallerDep, db_session: SessionDep, carts: SessionCartsDep,
    response: Response,
) -> CartOut:  # fmt: skip
    cart = await service.get(db_session=db_session, carts=carts, cart_id=cart_id, claims=claims)
    return _out(cart, response)


@router.put("/{cart_id}/lines/{product_id}", response_model=CartOut)
async def put_line(
    cart_id: uuid.UUID, product_id: uuid.UUID, data: QuantityIn, claims: MaybeCallerDep,
    db_session: SessionDep, carts: SessionCartsDep, catalog: CatalogDep, settings: SettingsDep,
    response: Response, if_match: IfMatch = None,
) -> CartOut:  # fmt: skip
    """The product at this quantity (added, or its quantity replaced), at the catalog's
    price in the cart's currency now."""
    cart = await service.put_line(
        db_session=db_session, carts=carts, catalog=catalog, settings=settings, cart_id=cart_id,
        claims=claims, if_match=if_match, product_id=product_id, quantity=data.quantity,
    )  # fmt: skip
    return _out(cart, response)


@router.delete("/{cart_id}/lines/{product_id}", response_model=CartOut)
async def remove_line(
    cart_id: uuid.UUID, product_id: uuid.UUID, claims: MaybeCallerDep, db_session: SessionDep,
    carts: SessionCartsDep, response: Response, if_match: IfMatch = None,
) -> CartOut:  # fmt: skip
    cart = await service.remove_line(
        db_session=db_session, carts=carts, cart_id=cart_id, claims=claims, if_match=if_match,
        product_id=product_id,
    )  # fmt: skip
    return _out(cart, response)


@router.delete("/{cart_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_cart(
    cart_id: uuid.UUID, claims: MaybeCallerDep, db_session: SessionDep, carts: SessionCartsDep,
    if_match: IfMatch = None,
) -> None:  # fmt: skip
    await service.delete(db_session=db_session, carts=carts, cart_id=cart_id, claims=claims,
                         if_match=if_match)  # fmt: skip


@router.post("/{cart_id}/claim", response_model=CartOut)
async def claim_cart(
    cart_id: uuid.UUID, claims: CallerDep, db_session: SessionDep, carts: SessionCartsDep,
    response: Response, background: BackgroundTasks,
) -> CartOut:  # fmt: skip
    """A signed-in shopper takes the session cart over: it becomes theirs (same id) and
    stops expiring. Claiming it again answers the same."""
    cart = await service.claim(db_session=db_session, carts=carts, cart_id=cart_id, claims=claims)
    # After the commit (the response is sent then): the Redis copy is no longer read.
    background.add_task(carts.delete, cart_id)
    return _out(cart, response)
