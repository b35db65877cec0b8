"""inventory: stock per location and reservations. A reservation holds stock for an order,
all of it or none, until it is committed (the goods leave) or released (they return); every
change is announced on inventory.events through the outbox."""

SERVICE = "inventory"
TOPIC = "inventory.events"
