import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from customer.addresses.schemas import AddressOut
from mach_service_kit.types import Bool, Text

EMAIL = r"^[^@\s\x00]{1,64}@[^@\s\x00]+\.[^@\s\x00]+$"
LOCALE = r"^[a-z]{2}(-[A-Z]{2})?$"


class ProfileIn(BaseModel):
    """The caller's whole profile (PUT /v1/customers/me)."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254, pattern=EMAIL)
    name: Text = Field(min_length=1, max_length=200)
    locale: str = Field(default="en", pattern=LOCALE)
    marketing_opt_in: Bool = False


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    name: str
    locale: str
    marketing_opt_in: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerDetail(CustomerOut):
    """What support staff see: the profile, its subject and its addresses."""

    subject: str
    addresses: list[AddressOut]


class CustomerList(BaseModel):
    items: list[CustomerOut]
