import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from inventory.deps import SessionDep, WriterDep
from inventory.stock import service
from inventory.stock.schemas import LOCATION, ProductStock, StockIn, StockOut

router = APIRouter(prefix="/v1/stock", tags=["stock"])
Location = Annotated[str, Path(pattern=LOCATION, max_length=64)]


@router.get("/{product_id}", response_model=ProductStock)
async def get_stock(product_id: uuid.UUID, db_session: SessionDep) -> ProductStock:
    return await service.of_product(db_session=db_session, product_id=product_id)


@router.put(
    "/{product_id}/{location}",
    response_model=StockOut,
    responses={201: {"model": StockOut, "description": "the location's first count"}},
)
async def count_stock(
    product_id: uuid.UUID, location: Location, data: StockIn, db_session: SessionDep,
    _: WriterDep, response: Response,
) -> StockOut:  # fmt: skip
    stock, created = await service.count(
        db_session=db_session, product_id=product_id, location=location, data=data
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return StockOut.model_validate(stock)
