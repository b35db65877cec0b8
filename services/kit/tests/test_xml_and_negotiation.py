from decimal import Decimal

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from mach_service_kit import xml
from mach_service_kit.negotiation import JSON, XML, preferred
from mach_service_kit.types import Bool, Scalars

DOC = {
    "name": "Tea",
    "tags": ["green", "loose"],
    "empty": [],
    "price": None,
    "stock": {"berlin": 3, "odd key": True},
}


def test_xml_round_trips_json_shaped_documents():
    rendered = xml.dumps(DOC, "product")
    assert rendered.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<product>')
    assert b'<tags type="list"><item>green</item><item>loose</item></tags>' in rendered
    assert b'<price nil="true" />' in rendered and b'<entry key="odd key">true</entry>' in rendered
    back = xml.loads(rendered)
    # Scalars come back as text: the schema parses them, as it does JSON strings.
    assert back == {
        "name": "Tea", "tags": ["green", "loose"], "empty": [], "price": None,
        "stock": {"berlin": "3", "odd key": "true"},
    }  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        b"<a><b>1</b><b>2</b></a>",  # a repeated element without type="list"
        b"<a><b></a>",  # not well-formed
        b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',  # entities are refused (defusedxml)
    ],
)
def test_ambiguous_malformed_or_unsafe_xml_is_refused(body):
    with pytest.raises(xml.XMLBodyError):
        xml.loads(body)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/xml", XML),
        ("text/xml", XML),
        ("application/json, application/xml", JSON),
        ("application/xml, application/json", XML),
        ("application/json;q=0.5, application/xml", XML),
        ("*/*;q=0.9, application/xml;q=0.8", JSON),
        ("application/*;q=0.5, application/xml;q=0.5", XML),
        ("application/problem+xml", XML),
        ("text/html", None),
        ("application/json;q=0", None),
        ("application/xml;q=bogus", None),
    ],
)
def test_accept_picks_json_or_xml(accept, chosen):
    assert preferred(accept) == chosen


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: int = Field(strict=True)
    price: Decimal
    gift: Bool = False


class _Order(BaseModel):
    lines: list[_Line]
    note: str | None = None
    weight: float | None = None
    facets: Scalars = {}


def test_xml_text_is_typed_by_the_operations_schema():
    """Strict fields take XML as they take JSON: the schema says which text is a number."""
    document = xml.loads(
        b'<order><lines type="list"><item><quantity>3</quantity><price>12.50</price>'
        b"<gift>true</gift></item></lines><note>42</note><weight>1.5</weight>"
        b"<facets><size>9</size></facets></order>"
    )
    typed = xml.typed(document, TypeAdapter(_Order).json_schema(mode="validation"))
    assert typed == {
        "lines": [{"quantity": 3, "price": "12.50", "gift": True}],
        "note": "42", "weight": 1.5, "facets": {"size": "9"},
    }  # fmt: skip
    order = _Order.model_validate(typed)
    assert order.lines[0].quantity == 3 and order.lines[0].price == Decimal("12.50")
    # Text that is not what the schema expects stays text, and validation refuses it.
    bad = xml.typed({"lines": [{"quantity": "3.5", "price": "1"}]}, _Order.model_json_schema())
    assert bad["lines"][0]["quantity"] == "3.5"
    with pytest.raises(ValidationError):
        _Order.model_validate(bad)
    assert xml.typed({"weight": "nan"}, _Order.model_json_schema()) == {"weight": "nan"}
