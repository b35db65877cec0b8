import uuid

from pydantic import BaseModel, ConfigDict, Field

from mach_service_kit.types import Bool, Text


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Text = Field(min_length=1, max_length=50)
    recipient: Text = Field(min_length=1, max_length=200)
    line1: Text = Field(min_length=1, max_length=200)
    line2: Text = Field(default="", max_length=200)
    postal_code: Text = Field(min_length=1, max_length=20)
    city: Text = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    default_shipping: Bool = False
    default_billing: Bool = False


class AddressOut(AddressIn):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID


class AddressList(BaseModel):
    items: list[AddressOut]
