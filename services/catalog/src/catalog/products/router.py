import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from catalog.deps import SessionDep, WriterDep
from catalog.products import service
from catalog.products.schemas import SKU, ProductIn, ProductOut, ProductPage, ProductPatch
from mach_service_kit.etag import set_etag

router = APIRouter(prefix="/v1/products", tags=["products"])
IfMatch = Annotated[str | None, Header(description="the ETag of the version being changed")]


@router.get("", response_model=ProductPage)
async def list_products(
    db_session: SessionDep,
    category_id: uuid.UUID | None = None,
    after: Annotated[str | None, Query(pattern=SKU, description="the last SKU seen")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ProductPage:
    items, following = await service.page(
        db_session=db_session, category_id=category_id, after=after, limit=limit
    )
    return ProductPage(items=[ProductOut.model_validate(p) for p in items], next=following)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProductOut)
async def create_product(
    data: ProductIn, db_session: SessionDep, _: WriterDep, response: Response
) -> ProductOut:
    product = await service.create(db_session=db_session, data=data)
    response.headers["Location"] = f"/v1/products/{product.id}"
    set_etag(response, product.version)
    return ProductOut.model_validate(product)


@router.get("/{product_id}", response_model=ProductOut)
async def get_product(
    product_id: uuid.UUID, db_session: SessionDep, response: Response
) -> ProductOut:
    product = await service.get(db_session=db_session, product_id=product_id)
    set_etag(response, product.version)
    return ProductOut.model_validate(product)


@router.patch("/{product_id}", response_model=ProductOut)
async def update_product(
    product_id: uuid.UUID,
    patch: ProductPatch,
    db_session: SessionDep,
    _: WriterDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProductOut:
    product = await service.update(
        db_session=db_session, product_id=product_id, patch=patch, if_match=if_match
    )
    set_etag(response, product.version)
    return ProductOut.model_validate(product)


@router.delete("/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_product(
    product_id: uuid.UUID, db_session: SessionDep, _: WriterDep, if_match: IfMatch = None
) -> None:
    await service.delete(db_session=db_session, product_id=product_id, if_match=if_match)
