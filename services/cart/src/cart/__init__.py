"""cart: shopping carts. A shopper without an account keeps a session cart in Redis (it
expires after `session_ttl_s` without a change); a customer's cart (a Keycloak token's
subject) lives in PostgreSQL and never expires. Signing in claims a session cart: it becomes
the customer's, with its id. Lines are priced by the catalog when they are put in the cart.
It owns the `cart` database and Redis keys under `cart:`; it publishes nothing."""

SERVICE = "cart"
