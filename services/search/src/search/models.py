"""The search service's database: the events it has handled (mach_service_kit.consumer).
The products themselves are documents in the search cluster (search.index)."""

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from mach_service_kit.consumer import processed_table
from mach_service_kit.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


processed = processed_table(Base.metadata)
