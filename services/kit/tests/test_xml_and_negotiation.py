import pytest

from mach_service_kit import xml
from mach_service_kit.negotiation import JSON, XML, preferred

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
