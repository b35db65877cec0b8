from cart.migrate import main as migrate
from cart.settings import get_settings
from mach_service_kit.pytest_plugin import migrations_test

test_migrations_up_check_down_up = migrations_test("cart", migrate, get_settings.cache_clear)
