"""A yes/no pre-check of a manifest against its schema, ~15x faster than jsonschema (issue #5).

`validate` judges every manifest of a registry: 110,000 of them at 100,000 versions, where
jsonschema's ~0.4 ms each is most of a minute. fastjsonschema compiles the same schemas to
Python. Where it says "valid", jsonschema finds nothing; everything else goes to jsonschema,
whose errors make the problems exactly as before. Its reading differs from ours only in being
stricter (`$` is the end of the text, `"True"` and `true` count as one list item) except for
two things, which `_plain` keeps away from it: it takes 7.0 for an integer (ours does not),
and Python compares booleans with numbers (`True == 1`). A document holding a boolean or a
whole-number float is judged by jsonschema alone. tests/test_schemas.py checks the agreement
on generated documents.

fastjsonschema is optional: without it every document goes to jsonschema. Compiling costs
~0.1 s a schema, so `validate` asks for it only from `PRECHECK_AFTER` documents of a kind on.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

PRECHECK_AFTER = 300  # documents of one kind after which compiling its check pays off
_JSON = (str, int, float, type(None))


def passes(kind: str, data: Any) -> bool:
    """True only when jsonschema would find no error in `data` (False: ask jsonschema)."""
    check = _compiled(kind)
    if check is None or not _plain(data):
        return False
    try:
        check(data)
    except Exception:  # JsonSchemaException, or anything odd: jsonschema decides
        return False
    return True


def _plain(data: Any) -> bool:
    """JSON values with no boolean and no whole-number float anywhere."""
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind not in _JSON or (kind is float and value.is_integer()):
            return False
    return True


@functools.cache
def _compiled(kind: str) -> Callable[[Any], Any] | None:
    try:
        fastjsonschema: Any = importlib.import_module("fastjsonschema")  # no type stubs
    except ImportError:
        return None
    from modelreg.schema import is_time, load_schema

    check: Callable[[Any], Any] = fastjsonschema.compile(
        load_schema(kind), formats={"date-time": is_time}, use_default=False
    )
    return check
