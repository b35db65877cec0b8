"""The cart's operations. A cart id names a customer's cart (PostgreSQL) or a session cart
(Redis); PostgreSQL is asked first, so a claimed session cart is its customer's at once, even
while its Redis copy is still being removed."""

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cart.catalog import Catalog
from cart.models import CustomerCart
from cart.settings import CartSettings
from cart.store import Cart, Line, SessionCarts, now
from mach_service_kit import ProblemError
from mach_service_kit.etag import check_match

Claims = dict[str, Any] | None


def _row(cart: Cart) -> dict[str, Any]:
    """The cart as its row's columns (lines as JSON; a customer's cart never expires)."""
    lines = [line.model_dump(mode="json") for line in cart.lines]
    return {**cart.model_dump(exclude={"lines", "expires_at"}), "lines": lines}


def _cart(row: CustomerCart) -> Cart:
    return Cart.model_validate(row, from_attributes=True)


async def _customer_cart(
    db_session: AsyncSession, cart_id: uuid.UUID, claims: Claims, *, lock: bool = False
) -> CustomerCart | None:
    """The customer's cart of this id; None when it is no customer's; 404 when it is someone
    else's (whose carts exist is not told)."""
    row = await db_session.get(CustomerCart, cart_id, with_for_update=lock)
    if row is not None and (claims is None or row.owner != claims["sub"]):
        raise ProblemError(404, f"no cart {cart_id}")
    return row


async def create(
    *, db_session: AsyncSession, carts: SessionCarts, claims: Claims, currency: str
) -> Cart:
    at = now()
    cart = Cart(id=uuid.uuid4(), owner=claims["sub"] if claims else None, currency=currency,
                created_at=at, updated_at=at)  # fmt: skip
    if cart.owner is None:
        return await carts.create(cart)
    db_session.add(CustomerCart(**_row(cart)))
    await db_session.flush()
    return cart


async def get(
    *, db_session: AsyncSession, carts: SessionCarts, cart_id: uuid.UUID, claims: Claims
) -> Cart:
    row = await _customer_cart(db_session, cart_id, claims)
    if row is not None:
        return _cart(row)
    found = await carts.get(cart_id)
    if found is None:
        raise ProblemError(404, f"no cart {cart_id}")
    return found


async def change(
    *, db_session: AsyncSession, carts: SessionCarts, cart_id: uuid.UUID, claims: Claims,
    if_match: str | None, edit: Callable[[list[Line]], list[Line]],
) -> Cart:  # fmt: skip
    """`edit` applied to the cart's lines, as one new version."""

    def apply(cart: Cart) -> Cart:
        check_match(if_match, cart.version)
        return cart.model_copy(
            update={"lines": edit(list(cart.lines)), "version": cart.version + 1,
                    "updated_at": now()}
        )  # fmt: skip

    row = await _customer_cart(db_session, cart_id, claims, lock=True)
    if row is None:
        return await carts.change(cart_id, apply)
    changed = apply(_cart(row))
    for name, value in _row(changed).items():
        setattr(row, name, value)
    await db_session.flush()
    return changed


async def put_line(
    *, db_session: AsyncSession, carts: SessionCarts, catalog: Catalog, settings: CartSettings,
    cart_id: uuid.UUID, claims: Claims, if_match: str | None, product_id: uuid.UUID,
    quantity: int,
) -> Cart:  # fmt: skip
    """The product at this quantity, priced by the catalog now."""
    if quantity > settings.max_quantity:
        raise ProblemError(422, f"at most {settings.max_quantity} of a product per cart")
    current = await get(db_session=db_session, carts=carts, cart_id=cart_id, claims=claims)
    offer = await catalog.offer(product_id, current.currency)
    line = Line(product_id=product_id, sku=offer.sku, name=offer.name, quantity=quantity,
                unit_price=offer.unit_price)  # fmt: skip

    def edit(lines: list[Line]) -> list[Line]:
        others = [x for x in lines if x.product_id != product_id]
        if len(others) >= settings.max_lines:
            raise ProblemError(422, f"a cart holds at most {settings.max_lines} products")
        at = next((i for i, x in enumerate(lines) if x.product_id == product_id), len(lines))
        return [*lines[:at], line, *lines[at + 1 :]]

    return await change(db_session=db_session, carts=carts, cart_id=cart_id, claims=claims,
                        if_match=if_match, edit=edit)  # fmt: skip


async def remove_line(
    *, db_session: AsyncSession, carts: SessionCarts, cart_id: uuid.UUID, claims: Claims,
    if_match: str | None, product_id: uuid.UUID,
) -> Cart:  # fmt: skip
    def edit(lines: list[Line]) -> list[Line]:
        kept = [x for x in lines if x.product_id != product_id]
        if len(kept) == len(lines):
            raise ProblemError(404, f"cart {cart_id} holds no product {product_id}")
        return kept

    return await change(db_session=db_session, carts=carts, cart_id=cart_id, claims=claims,
                        if_match=if_match, edit=edit)  # fmt: skip


async def delete(
    *, db_session: AsyncSession, carts: SessionCarts, cart_id: uuid.UUID, claims: Claims,
    if_match: str | None,
) -> None:  # fmt: skip
    row = await _customer_cart(db_session, cart_id, claims, lock=True)
    if row is not None:
        check_match(if_match, row.version)
        await db_session.delete(row)
        await db_session.flush()
        return
    found = await carts.get(cart_id)
    if found is None:
        raise ProblemError(404, f"no cart {cart_id}")
    check_match(if_match, found.version)
    await carts.delete(cart_id)


async def claim(
    *, db_session: AsyncSession, carts: SessionCarts, cart_id: uuid.UUID, claims: dict[str, Any]
) -> Cart:
    """The session cart becomes the caller's (same id, lines and prices), in PostgreSQL.
    Claiming again is answered with the cart; the caller removes the Redis copy after the
    transaction commits (`carts.delete`)."""
    row = await _customer_cart(db_session, cart_id, claims, lock=True)
    if row is not None:
        return _cart(row)
    found = await carts.get(cart_id)
    if found is None:
        raise ProblemError(404, f"no cart {cart_id}")
    owned = found.model_copy(
        update={
            "owner": claims["sub"],
            "expires_at": None,
            "version": found.version + 1,
            "updated_at": now(),
        }
    )
    db_session.add(CustomerCart(**_row(owned)))
    await db_session.flush()
    return owned
