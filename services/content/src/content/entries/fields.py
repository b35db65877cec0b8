"""An entry's values checked against its content type: per locale, known fields only, a
non-localized field only in the default locale, each value of its field's type (text from an
XML body is read as the field's type), and for publishing every required field set in the
default locale. Problems come back as a list, all at once."""

import math
import uuid
from datetime import date
from typing import Any

# Longest text a field holds when its definition sets no max_length.
DEFAULT_MAX = {"text": 1000, "rich_text": 100_000}
Values = dict[str, dict[str, Any]]


def _coerce(field: dict[str, Any], value: Any) -> Any:
    kind = field["type"]
    if kind in ("text", "rich_text"):
        if not isinstance(value, str):
            raise ValueError("expected text")
        if "\x00" in value:
            raise ValueError("text cannot hold NUL characters")
        limit = field.get("max_length") or DEFAULT_MAX[kind]
        if len(value) > limit:
            raise ValueError(f"longer than {limit} characters")
        return value
    if kind == "number":
        if isinstance(value, str):
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("expected a number")
        if not math.isfinite(value):
            raise ValueError("expected a finite number")
        return value
    if kind == "boolean":
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if kind == "date":
        if not isinstance(value, str):
            raise ValueError("expected a date (YYYY-MM-DD)")
        return date.fromisoformat(value).isoformat()
    if not isinstance(value, str):  # reference
        raise ValueError("expected an entry id")
    return str(uuid.UUID(value))


def check(
    definition: list[dict[str, Any]], values: Values, locales: list[str]
) -> tuple[Values, list[str]]:
    """The values as stored (coerced) and every problem."""
    fields = {f["name"]: f for f in definition}
    default = locales[0]
    cleaned: Values = {}
    problems: list[str] = []
    for locale, entries in values.items():
        if locale not in locales:
            problems.append(f"{locale}: not one of the locales {', '.join(locales)}")
            continue
        cleaned[locale] = {}
        for name, value in entries.items():
            field = fields.get(name)
            if field is None:
                problems.append(f"{locale}.{name}: not a field of this content type")
            elif not field["localized"] and locale != default:
                problems.append(f"{locale}.{name}: not localized; set it in {default}")
            elif value is None:
                cleaned[locale][name] = None  # clears it (PATCH)
            else:
                try:
                    cleaned[locale][name] = _coerce(field, value)
                except (ValueError, TypeError) as exc:
                    problems.append(f"{locale}.{name}: {exc}")
    return cleaned, problems


def merge(draft: Values, change: Values) -> Values:
    """A merge patch per locale: values replace, null removes, locales left empty go."""
    merged = {locale: dict(values) for locale, values in draft.items()}
    for locale, values in change.items():
        target = merged.setdefault(locale, {})
        for name, value in values.items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
    return {locale: values for locale, values in merged.items() if values}


def missing(definition: list[dict[str, Any]], values: Values, default: str) -> list[str]:
    """Required fields without a value in the default locale (what blocks publishing)."""
    have = values.get(default, {})
    return [
        f"{default}.{f['name']}: required to publish"
        for f in definition
        if f["required"] and have.get(f["name"]) in (None, "")
    ]


def references(definition: list[dict[str, Any]], values: Values) -> set[str]:
    kinds = {f["name"] for f in definition if f["type"] == "reference"}
    return {v for locale in values.values() for k, v in locale.items() if k in kinds}


def resolve(
    definition: list[dict[str, Any]], values: Values, locale: str, default: str
) -> dict[str, Any]:
    """The fields as one locale sees them: its own value, else the default locale's."""
    own, fallback = values.get(locale, {}), values.get(default, {})
    return {
        f["name"]: own.get(f["name"], fallback.get(f["name"]))
        for f in definition
        if f["name"] in own or f["name"] in fallback
    }
