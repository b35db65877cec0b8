"""payment: payments for orders through a provider interface (payment.provider; the sandbox
provider answers deterministically from the payment source). A payment is authorized or
declined, then captured or voided, then refunded in one or more parts; every create, capture
and refund takes an Idempotency-Key, so a retried request never charges twice. Every change
is announced on payment.events through the outbox."""

SERVICE = "payment"
TOPIC = "payment.events"
