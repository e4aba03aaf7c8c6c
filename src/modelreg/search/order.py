"""order_by: MLflow's `["<key> [ASC|DESC]", ...]`, then ties broken by name and version.

Timestamps are the manifests' RFC 3339 UTC strings (`2024-05-01T12:00:00.000Z`), which sort
in time order as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from modelreg.errors import InvalidParameter
from modelreg.search.fields import ATTRIBUTE_PREFIXES, OrderKey, Schema

_CLAUSE = re.compile(
    rf"\s*(?:(?:{'|'.join(ATTRIBUTE_PREFIXES)})\.)?(?:`(?P<quoted>[^`]*)`|(?P<bare>[\w.]+))"
    r"(?:\s+(?P<direction>\w+))?\s*"
)


def parse_order_by(order_by: Sequence[str] | str | None, schema: Schema) -> tuple[OrderKey, ...]:
    """The sort keys, MLflow's tie-breakers appended (name ASC, then version DESC)."""
    if not order_by:
        keys = list(schema.default_order)
    else:
        clauses = [order_by] if isinstance(order_by, str) else list(order_by)
        keys = [_clause(c, schema) for c in clauses]
        seen = [k.key for k in keys]
        for key in seen:
            if seen.count(key) > 1:
                raise InvalidParameter(
                    f"invalid order_by {clauses!r}: {key} appears more than once")
    for extra in schema.tiebreak:
        if all(k.key != extra.key for k in keys):
            keys.append(extra)
    return tuple(keys)


def _clause(clause: object, schema: Schema) -> OrderKey:
    if not isinstance(clause, str):
        raise InvalidParameter(f"invalid order_by clause {clause!r}: expected a string like "
                               f"'name ASC' ({schema.order_hint()})")
    m = _CLAUSE.fullmatch(clause)
    if m is None:
        raise InvalidParameter(f"invalid order_by {clause!r}: expected a key like 'name DESC' "
                               f"({schema.order_hint()})")
    key = m.group("quoted") if m.group("quoted") is not None else m.group("bare")
    if key not in schema.order_keys:
        raise InvalidParameter(f"invalid order_by {clause!r}: unknown key {key!r} "
                               f"({schema.order_hint()})")
    direction = (m.group("direction") or "ASC").upper()
    if direction not in ("ASC", "DESC"):
        raise InvalidParameter(f"invalid order_by {clause!r}: expected ASC or DESC after "
                               f"{key}, found {m.group('direction')!r}")
    return OrderKey(key, direction == "ASC")


def sort(items: list[Any], keys: tuple[OrderKey, ...], schema: Schema) -> None:
    """Sort in place: one stable pass per key, last key first (faster here than one pass with
    a tuple key, and descending strings need no trick)."""
    for key in reversed(keys):
        items.sort(key=schema.order_keys[key.key], reverse=not key.ascending)
