"""catalog: products, categories and prices. It owns the `catalog` database and publishes
every change on `catalog.events` through the outbox."""

SERVICE = "catalog"
TOPIC = "catalog.events"
