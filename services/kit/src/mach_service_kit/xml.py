"""JSON-shaped data to XML and back (FR-004): the services speak JSON; XML is a faithful
rendering of the same document, so one schema validates both.

    {"name": "Tea", "tags": ["green"], "price": null}
    <product><name>Tea</name><tags type="list"><item>green</item></tags>
             <price nil="true"/></product>

Scalars travel as text (pydantic parses "12.50" into a Decimal and "true" into a bool, as it
does for JSON strings); an object is an element per key; a list is `type="list"` with one
`<item>` per entry; null is `nil="true"`. XML is parsed with defusedxml (no entities, no
external references)."""

import re
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml.ElementTree import fromstring

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class XMLBodyError(ValueError):
    pass


def _fill(element: Element, value: Any) -> None:
    if value is None:
        element.set("nil", "true")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            child = SubElement(element, name if _NAME.match(name) else "entry")
            if not _NAME.match(name):
                child.set("key", name)
            _fill(child, item)
    elif isinstance(value, list | tuple):
        element.set("type", "list")
        for item in value:
            _fill(SubElement(element, "item"), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def dumps(value: Any, root: str) -> bytes:
    element = Element(root)
    _fill(element, value)
    body: bytes = tostring(element, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _read(element: Element) -> Any:
    if element.get("nil") == "true":
        return None
    children = list(element)
    if element.get("type") == "list":
        return [_read(child) for child in children]
    if children:
        out: dict[str, Any] = {}
        for child in children:
            key = child.get("key", child.tag) if child.tag == "entry" else child.tag
            if key in out:
                raise XMLBodyError(f'element <{key}> appears twice; lists need type="list"')
            out[key] = _read(child)
        return out
    return element.text or ""


def loads(body: bytes) -> Any:
    """The document's root element's content (its name is not significant)."""
    try:
        root = fromstring(body)
    except Exception as exc:  # defusedxml raises ParseError and its own refusals
        raise XMLBodyError(f"the body is not well-formed, safe XML: {exc}") from exc
    return _read(root)
