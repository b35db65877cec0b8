"""What the payment service publishes on payment.events (contracts/events/payment)."""

from mach_service_kit.events import Registry
from payment.payments.schemas import PaymentOut, PaymentRefunded

EVENTS: Registry = {
    "payment.PaymentAuthorized": {1: PaymentOut},
    "payment.PaymentDeclined": {1: PaymentOut},
    "payment.PaymentCaptured": {1: PaymentOut},
    "payment.PaymentVoided": {1: PaymentOut},
    "payment.PaymentRefunded": {1: PaymentRefunded},
}
