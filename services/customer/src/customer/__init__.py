"""customer: profiles and addresses. A customer is the subject of a Keycloak token: callers
read and change their own profile (`/v1/customers/me`); support staff (the service's
`customer-editor` role) read any. It owns the `customer` database and publishes nothing."""

SERVICE = "customer"
