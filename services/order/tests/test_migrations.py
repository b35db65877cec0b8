"""The order's migrations match its models and run both ways (the kit's migrations_test)."""

from order.migrate import main as migrate
from order.settings import get_settings

from mach_service_kit.pytest_plugin import migrations_test

test_the_migrations_match_the_models_and_run_both_ways = migrations_test(
    "order", migrate, get_settings.cache_clear
)
