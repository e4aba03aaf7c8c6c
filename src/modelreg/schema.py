"""The format's JSON Schemas, and judging one manifest against the schema of its kind.

The schemas in `modelreg/schemas/` are the single source of truth for the format (DESIGN §1):
every write, `validate` and `check` go through here. Each schema error becomes a `Problem`
with the line of the deepest JSON path the YAML loader located, and a message written for the
person fixing the file (the schemas' `patternErrorMessage`/`errorMessage` keywords, which
editors show too, else a short message that never dumps a whole document).

A few rules cannot be said identically in every regex dialect (MLflow's `\\w` in tag keys,
Unicode blanks in names) or in JSON Schema at all (finite metrics). For those the Python rules
in `modelreg.names` are authoritative and run after the schema, at paths the schema passed.

jsonschema costs ~150 ms to import, so it is imported on first use, and each validator is
built once per process.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

from modelreg import layout, names, problems, schemafast, yamlio
from modelreg.errors import InvalidParameter, ManifestError
from modelreg.manifest import KINDS
from modelreg.problems import Problem

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

Lines = Mapping[yamlio.JsonPath, int]
_SCALARS = (str, int, float, bool)
_TIME_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$")


def kind_of(path: str) -> str | None:
    """The manifest kind of a registry-relative path, or None when it is not a manifest's."""
    parts = path.split("/")
    if parts == [layout.REGISTRY_FILE]:
        return "registry"
    if len(parts) < 3 or parts[0] != layout.MODELS_DIR or not parts[1]:
        return None
    if len(parts) == 3:
        return {layout.MODEL_FILE: "model", layout.ALIASES_FILE: "aliases"}.get(parts[2])
    if len(parts) == 4 and parts[2] == layout.VERSIONS_DIR:
        return "model-version" if layout.version_number(parts[3]) is not None else None
    return None


@functools.cache
def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a manifest kind, as shipped in the package (shared: do not modify)."""
    if kind not in KINDS:
        raise ValueError(f"unknown manifest kind {kind!r} (kinds: {', '.join(KINDS)})")
    text = (resources.files("modelreg") / "schemas" / f"{kind}.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_bytes(kind: str, text: bytes, *, path: str) -> list[Problem]:
    """Every problem of one manifest file: YAML first (nothing else can be judged without it),
    then the schema."""
    return load_document(kind, text, path=path)[1]


def load_document(
    kind: str, text: bytes, *, path: str, precheck: bool = False
) -> tuple[yamlio.Loaded | None, list[Problem]]:
    """The loaded document (None when the YAML is refused) and its problems."""
    try:
        loaded = yamlio.load(text)  # no path: the message stays bare, the Problem has the path
    except ManifestError as exc:
        code = _yaml_code(exc.message)
        return None, [Problem(path=path, line=exc.line, code=code, message=exc.message)]
    found = validate_document(kind, loaded.data, path=path, lines=loaded.lines,
                              precheck=precheck)
    return loaded, found


def validate_document(
    kind: str, data: Any, *, path: str, lines: Lines, precheck: bool = False
) -> list[Problem]:
    """Every schema error of a loaded document, then the Python-only rules where the schema
    found nothing, sorted by line. `precheck`: ask `schemafast` first (bulk validation)."""
    found: list[Problem] = []
    if not (precheck and schemafast.passes(kind, data)):
        for error in _validator(kind).iter_errors(data):
            found.extend(_problems_of(error, path=path, lines=lines))
    reported = {p.json_path for p in found}
    for at, message in _python_rules(kind, data):
        if problems.json_path(at) not in reported:
            found.append(_problem(at, message, path=path, lines=lines))
    return problems.sort(found)


# ---------------------------------------------------------------- building the validators


@functools.cache
def _validator(kind: str) -> Validator:
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.validators import extend

    # JSON Schema counts 7.0 as an integer; the readers do not (`version: 7.0` is a typo).
    types = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_int)
    cls = extend(Draft202012Validator, type_checker=types)  # type: ignore[no-untyped-call]
    checker = FormatChecker(formats=())
    checker.checks("date-time")(is_time)
    validator: Validator = cls(load_schema(kind), format_checker=checker)
    return validator


def _is_int(_checker: object, value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_time(value: object) -> bool:
    """The pattern fixes the shape; this refuses what no calendar has (month 13, Feb 30)."""
    if not isinstance(value, str) or not _TIME_SHAPE.match(value):
        return True  # the pattern reports it, once
    return _on_calendar(value)


@functools.lru_cache(maxsize=4096)  # a registry repeats its timestamps (strptime: ~10 us)
def _on_calendar(value: str) -> bool:
    try:
        dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- errors -> problems


def _problem(at: yamlio.JsonPath, message: str, *, path: str, lines: Lines) -> Problem:
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


def _problems_of(error: ValidationError, *, path: str, lines: Lines) -> Iterator[Problem]:
    at: yamlio.JsonPath = tuple(error.absolute_path)
    instance: Any = error.instance
    if error.validator == "additionalProperties" and error.validator_value is False:
        # One problem per unknown key, on the key's own line.
        known = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        for key in instance:
            if key not in known:
                yield _problem((*at, key), _unknown_field(key, known), path=path, lines=lines)
        return
    if "propertyNames" in error.absolute_schema_path:
        at = (*at, instance)  # the key itself is wrong: point at it
    yield _problem(at, _message(error), path=path, lines=lines)


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


def _yaml_code(message: str) -> str:
    if message.startswith("duplicate key"):
        return problems.DUPLICATE_KEY
    if "anchors and aliases" in message:
        return problems.ANCHOR
    if "merge keys" in message:
        return problems.MERGE_KEY
    return problems.YAML


# ---------------------------------------------------------------- rules only Python can say


def _python_rules(kind: str, data: Any) -> Iterator[tuple[yamlio.JsonPath, str]]:
    """`modelreg.names`' verdicts, where a schema regex can only approximate them."""
    if not isinstance(data, dict) or kind not in ("model", "model-version"):
        return
    if isinstance(data.get("name"), str):
        yield from _verdict(("name",), names.check_model_name, data["name"])
    tags = data.get("tags")
    if isinstance(tags, dict):
        for key, value in tags.items():
            yield from _verdict(("tags", key), names.check_tag, key, value)
    metrics = data.get("metrics")
    if isinstance(metrics, dict):
        for key, value in metrics.items():
            yield from _verdict(("metrics", key), names.check_metrics, {key: value})


def _verdict(
    at: yamlio.JsonPath, rule: Callable[..., object], *args: Any
) -> Iterator[tuple[yamlio.JsonPath, str]]:
    try:
        rule(*args)
    except InvalidParameter as exc:
        yield at, exc.message
