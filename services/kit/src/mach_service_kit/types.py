"""Field types for request schemas that PostgreSQL can store as they are: text without NUL
characters (text and jsonb refuse U+0000) and finite numbers (jsonb has no NaN or Infinity).
The constraints are in the OpenAPI document too, so clients and schemathesis know them."""

from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints


def _not_a_number(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
Number = Annotated[float, Field(allow_inf_nan=False)]
# A flat map of short names to scalars (facets, labels).
Scalars = dict[
    Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00]*$")],
    Text | int | Number | bool,
]
# true or false (or their text, as XML carries them), never 0 or 1.
Bool = Annotated[bool, BeforeValidator(_not_a_number)]
