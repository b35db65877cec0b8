"""What the inventory publishes on inventory.events (contracts/events/inventory)."""

from inventory.reservations.schemas import ReservationOut, ReservationRefused
from inventory.stock.schemas import StockOut
from mach_service_kit.events import Registry

EVENTS: Registry = {
    "inventory.StockCounted": {1: StockOut},
    "inventory.StockReserved": {1: ReservationOut},
    "inventory.ReservationCommitted": {1: ReservationOut},
    "inventory.ReservationReleased": {1: ReservationOut},
    "inventory.ReservationRefused": {1: ReservationRefused},
}
