"""A yes/no pre-check of a manifest against its schema: a write whose manifests pass never
imports jsonschema (issue #5), and `validate` is ~15x faster.

The checks are the schemas compiled to Python by fastjsonschema and shipped in
`modelreg.schemacode` (why shipped: see there). Where one says "valid", jsonschema finds
nothing; everything else goes to jsonschema, whose errors make the problems exactly as before.
fastjsonschema's reading differs from ours only in being stricter (`$` is the end of the text,
`"True"` and `true` count as one list item) except for two things: it takes 7.0 for an
integer, which the generated code is edited not to (`schemacode.generate`), and Python compares
booleans with numbers (`True == 1`), which `_plain` keeps away from it: a document holding a
boolean is judged by jsonschema alone. tests/test_schemas.py checks the agreement on generated
documents.

A shipped check whose schema digest is not the shipped schema's (a schema edited, the checks
not regenerated) is not used: the schema is compiled in process when fastjsonschema is
installed (~10-30 ms), else jsonschema judges every document.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from collections.abc import Callable
from typing import Any

PRECHECK_AFTER = 0  # `validate` asks from this many documents of a kind on (tests raise it)
_JSON = (str, int, float, type(None))
Formats = dict[str, Callable[[object], bool]]


def passes(kind: str, data: Any) -> bool:
    """True only when jsonschema would find no error in `data` (False: ask jsonschema)."""
    if not _plain(data):
        return False
    check = compiled(kind)
    if check is None:
        return False
    try:
        check(data)
    except Exception:  # JsonSchemaValueException, or anything odd: jsonschema decides
        return False
    return True


def _plain(data: Any) -> bool:
    """JSON values with no boolean anywhere."""
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind not in _JSON:
            return False
    return True


@functools.cache
def compiled(kind: str) -> Callable[[Any], Any] | None:
    """The check of `kind` (it raises on a refusal), or None when there is none to trust."""
    from modelreg.schema import is_time, schema_bytes

    formats: Formats = {"date-time": is_time}
    shipped: Any = importlib.import_module(f"modelreg.schemacode.{kind.replace('-', '_')}")
    if hashlib.sha256(schema_bytes(kind)).hexdigest() == shipped.SCHEMA_SHA256:
        return functools.partial(shipped.check, custom_formats=formats)
    return _compile_now(kind, formats)


def _compile_now(kind: str, formats: Formats) -> Callable[[Any], Any] | None:
    """The code the shipped module would hold, generated and run in process."""
    from modelreg.schemacode import generate

    try:
        code = generate.code_of(kind)
    except ModuleNotFoundError as exc:
        if exc.name != "fastjsonschema":
            raise
        return None  # fastjsonschema is not installed: jsonschema judges every document
    except RuntimeError:  # a fastjsonschema whose code generate.py does not know: the same
        return None
    namespace: dict[str, Any] = {}
    exec(compile(code, f"<schemacode {kind}>", "exec"), namespace)
    return functools.partial(namespace["check"], custom_formats=formats)
