import uuid

from fastapi import APIRouter, Response, status

from catalog.categories import service
from catalog.categories.schemas import CategoryIn, CategoryOut, CategoryPage
from catalog.deps import SessionDep, WriterDep

router = APIRouter(prefix="/v1/categories", tags=["categories"])


@router.get("", response_model=CategoryPage)
async def list_categories(db_session: SessionDep) -> CategoryPage:
    items = await service.list_all(db_session=db_session)
    return CategoryPage(items=[CategoryOut.model_validate(c) for c in items])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CategoryOut)
async def create_category(
    data: CategoryIn, db_session: SessionDep, _: WriterDep, response: Response
) -> CategoryOut:
    category = await service.create(db_session=db_session, data=data)
    response.headers["Location"] = f"/v1/categories/{category.id}"
    return CategoryOut.model_validate(category)


@router.get("/{category_id}", response_model=CategoryOut)
async def get_category(category_id: uuid.UUID, db_session: SessionDep) -> CategoryOut:
    return CategoryOut.model_validate(
        await service.get(db_session=db_session, category_id=category_id)
    )
