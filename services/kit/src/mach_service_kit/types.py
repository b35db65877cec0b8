"""Field types for request schemas that PostgreSQL can store as they are: text without NUL
characters (text and jsonb refuse U+0000) and finite numbers (jsonb has no NaN or Infinity).
The constraints are in the OpenAPI document too, so clients and schemathesis know them."""

from typing import Annotated

from pydantic import Field, StringConstraints

Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
Number = Annotated[float, Field(allow_inf_nan=False)]
# A flat map of short names to scalars (facets, labels).
Scalars = dict[
    Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00]*$")],
    Text | int | Number | bool,
]
