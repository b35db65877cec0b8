from mach_service_kit.migrations import run
from search.models import Base

run(Base.metadata)
