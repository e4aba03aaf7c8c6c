"""jsonschema's errors as `Problem`s, worded for the person fixing the file.

Each error gets the line of the deepest part of its JSON path the YAML loader located, and a
message from the schemas' own `patternErrorMessage`/`errorMessage` keywords (which editors show
too), else a short one of ours that never dumps a whole document. Only a refusal comes here:
a manifest that passes is never worded (`modelreg.schema`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from modelreg import problems, yamlio
from modelreg.problems import Problem

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

Lines = Mapping[yamlio.JsonPath, int]
_SCALARS = (str, int, float, bool)


def problem(at: yamlio.JsonPath, message: str, *, path: str, lines: Lines) -> Problem:
    """A schema problem at JSON path `at` of the file at `path`."""
    return Problem(
        path=path,
        line=_line(lines, at),
        json_path=problems.json_path(at),
        code=problems.SCHEMA,
        message=message,
    )


def _line(lines: Lines, at: yamlio.JsonPath) -> int | None:
    """The line of the deepest part of `at` the loader located (a missing key has none)."""
    for depth in range(len(at), -1, -1):
        line = lines.get(at[:depth])
        if line is not None:
            return line
    return None


def problems_of(error: ValidationError, *, path: str, lines: Lines) -> Iterator[Problem]:
    """The problems one jsonschema error stands for (one per unknown key)."""
    at: yamlio.JsonPath = tuple(error.absolute_path)
    instance: Any = error.instance
    if error.validator == "additionalProperties" and error.validator_value is False:
        # One problem per unknown key, on the key's own line.
        known = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        for key in instance:
            if key not in known:
                yield problem((*at, key), _unknown_field(key, known), path=path, lines=lines)
        return
    if "propertyNames" in error.absolute_schema_path:
        at = (*at, instance)  # the key itself is wrong: point at it
    yield problem(at, _message(error), path=path, lines=lines)


def _unknown_field(key: str, known: list[str]) -> str:
    import difflib  # only to word a refusal: a write that passes never needs it

    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown field {key!r} (did you mean {close[0]!r}?)"
    return f"unknown field {key!r} (fields: {', '.join(known)})"


def _message(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("patternErrorMessage") if error.validator == "pattern" else None
    custom = custom or schema.get("errorMessage")
    if custom:
        shown = f" (got {_show(error.instance)})" if isinstance(error.instance, _SCALARS) else ""
        return f"{custom}{shown}"
    render = _MESSAGES.get(str(error.validator))
    if render is None:
        return _shorten(error.message, 200)
    return render(error)


def _show(value: Any) -> str:
    return _shorten(repr(value), 60)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
    "null": "nothing",
}


def _kind_word(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean {value!r}"
    if isinstance(value, int):
        return f"a whole number {value}"
    if isinstance(value, float):
        return f"a number {value!r}"
    if isinstance(value, str):
        return f"a string {_show(value)}"
    return "a list" if isinstance(value, list) else "a mapping"


def _type_message(error: ValidationError) -> str:
    wanted = error.validator_value if isinstance(error.validator_value, list) else [
        error.validator_value
    ]
    expected = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in wanted)
    message = f"expected {expected}, got {_kind_word(error.instance)}"
    if "string" in wanted and isinstance(error.instance, (int, float, bool)):
        message += " (quote the value to keep it a string)"
    return message


def _unique_message(error: ValidationError) -> str:
    instance: Any = error.instance
    items = [json.dumps(v, sort_keys=True) for v in instance]
    twice = sorted({v for v in items if items.count(v) > 1})
    return f"lists {', '.join(twice)} more than once"


def _length_message(error: ValidationError) -> str:
    if error.validator == "minLength":
        return "must not be empty"
    instance: Any = error.instance
    return f"is {len(instance):,} characters long (at most {error.validator_value:,})"


def _listing(values: Any) -> str:
    return ", ".join(repr(v) for v in values)


_MESSAGES: dict[str, Callable[[ValidationError], str]] = {
    "type": _type_message,
    "uniqueItems": _unique_message,
    "maxLength": _length_message,
    "minLength": _length_message,
    "minimum": lambda e: f"must be at least {e.validator_value} (got {e.instance!r})",
    "enum": lambda e: f"{_show(e.instance)} is not one of {_listing(e.validator_value)}",
    "const": lambda e: f"must be {e.validator_value!r} (got {_show(e.instance)})",
    "pattern": lambda e: f"{_show(e.instance)} does not match {e.validator_value}",
    "format": lambda e: f"{_show(e.instance)} is not a valid {e.validator_value}",
    "not": lambda e: "is not allowed here",
    "oneOf": lambda e: "does not match exactly one of the allowed forms",
    "anyOf": lambda e: "does not match any of the allowed forms",
}
