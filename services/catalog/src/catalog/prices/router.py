import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from catalog.deps import SessionDep, WriterDep
from catalog.prices import service
from catalog.prices.schemas import CURRENCY, PriceIn, PriceList, PriceOut

router = APIRouter(prefix="/v1/prices", tags=["prices"])
Currency = Annotated[str, Path(pattern=CURRENCY, description="ISO 4217 code")]


@router.get("/{product_id}", response_model=PriceList)
async def list_prices(product_id: uuid.UUID, db_session: SessionDep) -> PriceList:
    items = await service.for_product(db_session=db_session, product_id=product_id)
    return PriceList(items=[PriceOut.model_validate(p) for p in items])


@router.get("/{product_id}/{currency}", response_model=PriceOut)
async def get_price(product_id: uuid.UUID, currency: Currency, db_session: SessionDep) -> PriceOut:
    price = await service.get(db_session=db_session, product_id=product_id, currency=currency)
    return PriceOut.model_validate(price)


@router.put(
    "/{product_id}/{currency}",
    response_model=PriceOut,
    responses={201: {"model": PriceOut, "description": "the price was created"}},
)
async def put_price(
    product_id: uuid.UUID,
    currency: Currency,
    data: PriceIn,
    db_session: SessionDep,
    _: WriterDep,
    response: Response,
) -> PriceOut:
    price, created = await service.put(
        db_session=db_session, product_id=product_id, currency=currency, data=data
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return PriceOut.model_validate(price)
