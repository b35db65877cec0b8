import uuid

from fastapi import APIRouter, Request, Response, status

from customer.addresses import service
from customer.addresses.schemas import AddressIn, AddressList, AddressOut
from customer.customers import service as customers
from customer.deps import CallerDep, SessionDep

router = APIRouter(prefix="/v1/customers/me/addresses", tags=["addresses"])


@router.get("", response_model=AddressList)
async def list_addresses(claims: CallerDep, db_session: SessionDep) -> AddressList:
    customer = await customers.me(db_session=db_session, claims=claims)
    items = await service.of(db_session=db_session, customer=customer)
    return AddressList(items=[AddressOut.model_validate(a) for a in items])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AddressOut)
async def add_address(
    data: AddressIn, claims: CallerDep, db_session: SessionDep, request: Request,
    response: Response,
) -> AddressOut:  # fmt: skip
    customer = await customers.me(db_session=db_session, claims=claims)
    limit = request.app.state.settings.max_addresses
    address = await service.add(db_session=db_session, customer=customer, data=data, limit=limit)
    response.headers["Location"] = f"/v1/customers/me/addresses/{address.id}"
    return AddressOut.model_validate(address)


@router.put("/{address_id}", response_model=AddressOut)
async def replace_address(
    address_id: uuid.UUID, data: AddressIn, claims: CallerDep, db_session: SessionDep
) -> AddressOut:
    customer = await customers.me(db_session=db_session, claims=claims)
    address = await service.replace(
        db_session=db_session, customer=customer, address_id=address_id, data=data
    )
    return AddressOut.model_validate(address)


@router.delete("/{address_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_address(address_id: uuid.UUID, claims: CallerDep, db_session: SessionDep) -> None:
    customer = await customers.me(db_session=db_session, claims=claims)
    await service.remove(db_session=db_session, customer=customer, address_id=address_id)
