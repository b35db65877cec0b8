from mach_service_kit.pytest_plugin import migrations_test
from search.migrate import main as migrate
from search.settings import get_settings

test_migrations_up_check_down_up = migrations_test("search", migrate, get_settings.cache_clear)
