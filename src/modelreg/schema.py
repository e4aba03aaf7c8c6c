"""The format's JSON Schemas, and judging one manifest against the schema of its kind.

The schemas in `modelreg/schemas/` are the single source of truth for the format (DESIGN §1):
every write, `validate` and `check` go through here. A manifest is asked of `schemafast`'s
compiled yes/no check first; only one it does not pass goes to jsonschema, whose errors
`schemaproblems` turns into problems (issue #5: jsonschema and its validators cost a CLI write
~60-70 ms, and a write whose manifests are valid never loads it).

A few rules cannot be said identically in every regex dialect (MLflow's `\\w` in tag keys,
Unicode blanks in names) or in JSON Schema at all (finite metrics). For those the Python rules
in `modelreg.names` are authoritative and run after the schema, at paths the schema passed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg import layout, names, problems, schemafast, schemaproblems, yamlio
from modelreg.errors import InvalidParameter, ManifestError
from modelreg.manifest import KINDS, too_large
from modelreg.problems import Problem
from modelreg.schemaproblems import Lines

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

# Read beside this module, not through importlib.resources (~5 ms to import, in a CLI write).
_SCHEMAS = Path(__file__).with_name("schemas")
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
def schema_bytes(kind: str) -> bytes:
    """The JSON Schema of a manifest kind, as shipped in the package."""
    if kind not in KINDS:
        raise ValueError(f"unknown manifest kind {kind!r} (kinds: {', '.join(KINDS)})")
    return (_SCHEMAS / f"{kind}.json").read_bytes()


@functools.cache
def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a manifest kind, parsed (shared: do not modify)."""
    schema: dict[str, Any] = json.loads(schema_bytes(kind))
    return schema


def validate_bytes(kind: str, text: bytes, *, path: str) -> list[Problem]:
    """Every problem of one manifest file: YAML first (nothing else can be judged without it),
    then the schema."""
    return load_document(kind, text, path=path)[1]


def load_document(
    kind: str, text: bytes, *, path: str, precheck: bool = True
) -> tuple[yamlio.Loaded | None, list[Problem]]:
    """The loaded document (None when the YAML is refused) and its problems."""
    large = too_large(text)
    if large is not None:  # refused unparsed: a huge file must not stall `check` (issue #6)
        return None, [Problem(path=path, code=problems.MANIFEST_TOO_LARGE, message=large)]
    try:
        loaded = yamlio.load(text)  # no path: the message stays bare, the Problem has the path
    except ManifestError as exc:
        code = _yaml_code(exc.message)
        return None, [Problem(path=path, line=exc.line, code=code, message=exc.message)]
    found = validate_document(kind, loaded.data, path=path, lines=loaded.lines,
                              precheck=precheck)
    return loaded, found


def validate_document(
    kind: str, data: Any, *, path: str, lines: Lines, precheck: bool = True
) -> list[Problem]:
    """Every schema error of a loaded document, then the Python-only rules where the schema
    found nothing, sorted by line. `precheck`: ask `schemafast` first (False: jsonschema
    alone, as the tests that compare the two need)."""
    found: list[Problem] = []
    if not (precheck and schemafast.passes(kind, data)):
        for error in _validator(kind).iter_errors(data):
            found.extend(schemaproblems.problems_of(error, path=path, lines=lines))
    reported = {p.json_path for p in found}
    for at, message in _python_rules(kind, data):
        if problems.json_path(at) not in reported:
            found.append(schemaproblems.problem(at, message, path=path, lines=lines))
    return problems.sort(found)


# ---------------------------------------------------------------- the validators


@functools.cache
def _validator(kind: str) -> Validator:
    """Built once per process (rebuilding costs ~10 ms a call, STYLE §12)."""
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
    """`modelreg.names`' verdicts, where a schema regex can only approximate them (and where
    the shipped schema says nothing yet: `files_uri`, issue #6)."""
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
    artifacts = data.get("artifacts")
    if isinstance(artifacts, dict) and isinstance(artifacts.get("files_uri"), str):
        yield from _verdict(("artifacts", "files_uri"), names.check_files_uri,
                            artifacts["files_uri"])


def _verdict(
    at: yamlio.JsonPath, rule: Callable[..., object], *args: Any
) -> Iterator[tuple[yamlio.JsonPath, str]]:
    try:
        rule(*args)
    except InvalidParameter as exc:
        yield at, exc.message
