from cart.models import Base
from mach_service_kit.migrations import run

run(Base.metadata)
