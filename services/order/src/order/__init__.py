"""order: event-sourced orders. An order's history is its events (`order_events`, appended
with optimistic concurrency); the `orders` table is a read model projected from them in the
same transaction and rebuilt from them by `order-rebuild`. The checkout saga is driven by
events: placing an order publishes OrderPlaced (inventory reserves the stock), a reservation
makes the order ask for payment (PaymentRequested), an authorization confirms it and a decline
or a released hold rejects it; cancelling publishes OrderCancelled. Prices come from the
catalog's own events (a local price list), never from the caller."""

SERVICE = "order"
TOPIC = "order.events"
