import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from customer.addresses import service as addresses
from customer.addresses.schemas import AddressOut
from customer.customers import service
from customer.customers.schemas import (
    EMAIL,
    CustomerDetail,
    CustomerList,
    CustomerOut,
    ProfileIn,
)
from customer.deps import CallerDep, SessionDep, WriterDep
from mach_service_kit.etag import set_etag

router = APIRouter(prefix="/v1/customers", tags=["customers"])
IfMatch = Annotated[str | None, Header(description="the ETag of the version being changed")]


@router.get("/me", response_model=CustomerOut)
async def get_me(claims: CallerDep, db_session: SessionDep, response: Response) -> CustomerOut:
    customer = await service.me(db_session=db_session, claims=claims)
    set_etag(response, customer.version)
    return CustomerOut.model_validate(customer)


@router.put(
    "/me",
    response_model=CustomerOut,
    responses={201: {"model": CustomerOut, "description": "the profile was created"}},
)
async def put_me(
    data: ProfileIn, claims: CallerDep, db_session: SessionDep, response: Response,
    if_match: IfMatch = None,
) -> CustomerOut:  # fmt: skip
    customer, created = await service.put_me(
        db_session=db_session, claims=claims, data=data, if_match=if_match
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    set_etag(response, customer.version)
    return CustomerOut.model_validate(customer)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
async def erase_me(claims: CallerDep, db_session: SessionDep, if_match: IfMatch = None) -> None:
    await service.erase_me(db_session=db_session, claims=claims, if_match=if_match)


@router.get("", response_model=CustomerList)
async def find_customers(
    email: Annotated[str, Query(max_length=254, pattern=EMAIL)],
    db_session: SessionDep,
    _: WriterDep,
) -> CustomerList:
    """Support staff: customers by e-mail address (case-insensitive)."""
    found = await service.find(db_session=db_session, email=email)
    return CustomerList(items=[CustomerOut.model_validate(c) for c in found])


@router.get("/{customer_id}", response_model=CustomerDetail)
async def get_customer(
    customer_id: uuid.UUID, db_session: SessionDep, _: WriterDep
) -> CustomerDetail:
    """Support staff: one customer with their addresses."""
    customer = await service.get(db_session=db_session, customer_id=customer_id)
    items = await addresses.of(db_session=db_session, customer=customer)
    return CustomerDetail(
        **CustomerOut.model_validate(customer).model_dump(),
        subject=customer.subject,
        addresses=[AddressOut.model_validate(a) for a in items],
    )
