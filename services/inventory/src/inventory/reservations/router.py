import uuid
from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from inventory.deps import SessionDep, WriterDep
from inventory.reservations import service
from inventory.reservations.schemas import ReservationIn, ReservationOut

router = APIRouter(prefix="/v1/reservations", tags=["reservations"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReservationOut,
    responses={200: {"model": ReservationOut, "description": "the order's existing reservation"}},
)
async def reserve(
    data: ReservationIn, request: Request, db_session: SessionDep, _: WriterDep,
    response: Response,
) -> ReservationOut:  # fmt: skip
    ttl = timedelta(seconds=request.app.state.settings.reservation_ttl_seconds)
    out, created = await service.reserve(db_session=db_session, data=data, ttl=ttl)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/reservations/{out.id}"
    return out


@router.get("/{reservation_id}", response_model=ReservationOut)
async def get_reservation(reservation_id: uuid.UUID, db_session: SessionDep) -> ReservationOut:
    found = await service.get(db_session=db_session, reservation_id=reservation_id)
    return await service.view(db_session, found)


@router.post("/{reservation_id}/commit", response_model=ReservationOut)
async def commit_reservation(
    reservation_id: uuid.UUID, db_session: SessionDep, _: WriterDep
) -> ReservationOut:
    return await service.commit(db_session=db_session, reservation_id=reservation_id)


@router.post("/{reservation_id}/release", response_model=ReservationOut)
async def release_reservation(
    reservation_id: uuid.UUID, db_session: SessionDep, _: WriterDep
) -> ReservationOut:
    return await service.release(db_session=db_session, reservation_id=reservation_id)
