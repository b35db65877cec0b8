"""The OpenAPI document is the contract (mach_service_kit.pytest_plugin.contract_suite): the
exported contracts/openapi/cart/openapi.json equals the app's, and schemathesis finds no
server error and no undocumented response across every operation of the real server."""

from cart.migrate import main as migrate
from cart.settings import get_settings
from mach_service_kit.pytest_plugin import contract_suite

(
    test_the_exported_openapi_is_current,
    server,
    test_every_operation_keeps_the_contract,
) = contract_suite("cart", migrate, get_settings.cache_clear)
