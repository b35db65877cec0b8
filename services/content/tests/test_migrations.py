"""The content's migrations match its models and run both ways (the kit's migrations_test)."""

from content.migrate import main as migrate
from content.settings import get_settings
from mach_service_kit.pytest_plugin import migrations_test

test_the_migrations_match_the_models_and_run_both_ways = migrations_test(
    "content", migrate, get_settings.cache_clear
)
