"""What the order service publishes on order.events (contracts/events/order)."""

from mach_service_kit.events import Registry
from order.orders.schemas import OrderOut, PaymentRequested

EVENTS: Registry = {
    "order.OrderPlaced": {1: OrderOut},
    "order.PaymentRequested": {1: PaymentRequested},
    "order.OrderConfirmed": {1: OrderOut},
    "order.OrderRejected": {1: OrderOut},
    "order.OrderCancelled": {1: OrderOut},
}
