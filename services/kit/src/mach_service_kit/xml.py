"""JSON-shaped data to XML and back (FR-004): the services speak JSON; XML is a faithful
rendering of the same document, so one schema validates both.

    {"name": "Tea", "tags": ["green"], "price": null}
    <product><name>Tea</name><tags type="list"><item>green</item></tags>
             <price nil="true"/></product>

Scalars travel as text; an object is an element per key; a list is `type="list"` with one
`<item>` per entry; null is `nil="true"`. Reading a request, `typed` gives the text the JSON
type the operation's schema expects (an integer, a number, a boolean), so strict fields take
XML as they take JSON and a wrong value is refused the same way. XML is parsed with
defusedxml (no entities, no external references)."""

import math
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


_INTEGER = re.compile(r"^-?[0-9]+$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$")
_BOOLEANS = {"true": True, "false": False}


def _scalar(text: str, kind: str) -> Any:
    if kind == "integer" and _INTEGER.match(text):
        return int(text)
    if kind == "number" and _NUMBER.match(text):
        number = float(text)
        return int(text) if _INTEGER.match(text) else number if math.isfinite(number) else text
    if kind == "boolean" and text in _BOOLEANS:
        return _BOOLEANS[text]
    return text


def typed(value: Any, schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """`value` (read from XML: text, lists, objects) with its text made the JSON scalar that
    `schema` (a JSON Schema, `$defs` and `$ref` resolved) expects; text that does not parse
    stays text, for validation to refuse."""
    defs = schema.get("$defs", defs or {})
    while "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    options = schema.get("anyOf") or schema.get("oneOf")
    if options is not None:
        kinds = [o.get("type") for o in options]
        if isinstance(value, str) and "string" in kinds:
            return value  # text is already one of the allowed shapes (a decimal, say)
        for option in options:
            converted = typed(value, option, defs)
            if converted is not value:
                return converted
        return value
    kind = schema.get("type")
    if isinstance(value, str) and kind in ("integer", "number", "boolean"):
        return _scalar(value, kind)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {
            k: typed(v, properties.get(k, extra if isinstance(extra, dict) else {}), defs)
            for k, v in value.items()
        }
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [typed(v, schema["items"], defs) for v in value]
    return value
