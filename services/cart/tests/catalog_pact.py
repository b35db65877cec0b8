"""The cart's contract with the catalog (consumer-driven, pact-python): every request the
cart's catalog client makes, in the provider states it assumes, and the parts of the answers
it reads. The cart's tests run against pact's mock server built from these interactions; the
file they produce is contracts/pacts/cart-catalog.json, which the catalog's suite replays
against the real catalog (services/catalog/tests/test_consumers.py)."""

from pact import Pact, match

MUG = "6f1c3b1e-4d2a-4c8e-9b1a-0d5e7a9c2b10"  # in the catalog, priced in EUR, not in USD
GONE = "0b7e2f0c-9a3d-4f61-8c2e-5a4b3c2d1e0f"  # not in the catalog
MUG_EUR = "12.50"


def catalog_pact() -> Pact:
    pact = Pact("cart", "catalog").with_specification("V4")
    (
        pact.upon_receiving("a product's name and SKU")
        .given("a product with a EUR price", product_id=MUG, amount=MUG_EUR)
        .with_request("GET", f"/v1/products/{MUG}")
        .with_header("Accept", "application/json")
        .will_respond_with(200)
        .with_body(
            {"id": match.uuid(MUG), "sku": match.str("MUG-1"), "name": match.str("Mug")},
            content_type="application/json",
        )
    )
    (
        pact.upon_receiving("a product's price in a currency it has")
        .given("a product with a EUR price", product_id=MUG, amount=MUG_EUR)
        .with_request("GET", f"/v1/prices/{MUG}/EUR")
        .with_header("Accept", "application/json")
        .will_respond_with(200)
        .with_body(
            {
                "product_id": match.uuid(MUG),
                "currency": "EUR",
                "amount": match.regex(MUG_EUR, regex=r"^\d+\.\d{2}$"),
            },
            content_type="application/json",
        )
    )
    (
        pact.upon_receiving("a product's price in a currency it lacks")
        .given("a product with a EUR price", product_id=MUG, amount=MUG_EUR)
        .with_request("GET", f"/v1/prices/{MUG}/USD")
        .with_header("Accept", "application/json")
        .will_respond_with(404)
    )
    (
        pact.upon_receiving("a product that does not exist")
        .given("no such product", product_id=GONE)
        .with_request("GET", f"/v1/products/{GONE}")
        .with_header("Accept", "application/json")
        .will_respond_with(404)
    )
    (
        pact.upon_receiving("the price of a product that does not exist")
        .given("no such product", product_id=GONE)
        .with_request("GET", f"/v1/prices/{GONE}/EUR")
        .with_header("Accept", "application/json")
        .will_respond_with(404)
    )
    return pact


UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def empty_catalog() -> Pact:
    """The catalog in the state "no such product" for every product id (the contract's own
    404 interactions, for any id): what the schemathesis run of the cart talks to, where the
    generated product ids name nothing."""
    pact = Pact("cart-schemathesis", "catalog").with_specification("V4")
    paths = [
        (f"/v1/products/{GONE}", rf"^/v1/products/{UUID}$"),
        (f"/v1/prices/{GONE}/EUR", rf"^/v1/prices/{UUID}/[A-Z]{{3}}$"),
    ]
    for path, regex in paths:
        (
            pact.upon_receiving(f"any {path.split('/')[2]} of a product that does not exist")
            .with_request("GET", match.regex(path, regex=regex))
            .will_respond_with(404)
        )
    return pact
