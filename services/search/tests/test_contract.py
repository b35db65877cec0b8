"""The OpenAPI document is the contract (mach_service_kit.pytest_plugin.contract_suite): the
exported contracts/openapi/search/openapi.json equals the app's, and schemathesis finds no
server error and no undocumented response across every operation of the real server."""

from mach_service_kit.pytest_plugin import contract_suite
from search.migrate import main as migrate
from search.settings import get_settings

(
    test_the_exported_openapi_is_current,
    server,
    test_every_operation_keeps_the_contract,
) = contract_suite("search", migrate, get_settings.cache_clear)
