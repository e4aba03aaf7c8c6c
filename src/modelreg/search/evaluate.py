"""Conditions compiled once into one predicate over records.

MLflow's semantics: a record without the tag (or a version without a run) matches no
comparison, not even `!=` or NOT IN (SQL's NULL). LIKE is case-sensitive, ILIKE is not;
`%` is any run of characters, `_` one character, and a backslash makes the next character
literal (`'fraud\\_%'`). Everything else in a pattern is literal, including regex
metacharacters (MLflow's file store turns patterns into regexes unescaped; we escape them).
A value that is no string (a number or list in a hand-written YAML tag) matches no LIKE and
is no member of an IN list.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from modelreg.search.fields import Schema
from modelreg.search.parser import Condition

R = TypeVar("R")
Predicate = Callable[[Any], bool]

PROMPT_TAG = "mlflow.prompt.is_prompt"  # MLflow's IS_PROMPT_TAG_KEY (a test checks it)
_LIKE_PART = re.compile(r"\\(.)|(%)|(_)|([^\\%_]+|\\$)", re.DOTALL)
# `x op value` as `flipped(value, x)`: functools.partial over a C function, no Python frame.
_FLIPPED: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.gt,
    "<=": operator.ge,
    ">": operator.lt,
    ">=": operator.le,
}


def like_regex(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """The regex that matches what SQL LIKE `pattern` matches (use with fullmatch)."""

    def part(m: re.Match[str]) -> str:
        escaped, percent, underscore, literal = m.groups()
        if percent:
            return ".*"
        if underscore:
            return "."
        return re.escape(escaped if escaped is not None else literal)

    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_LIKE_PART.sub(part, pattern), flags)


def like_prefix(pattern: str) -> tuple[str, bool]:
    """The literal text every match of LIKE `pattern` starts with, and whether it is the whole
    pattern (no `%` or `_`: LIKE is then equality). The index turns it into a range."""
    literal: list[str] = []
    for m in _LIKE_PART.finditer(pattern):
        escaped, percent, underscore, text = m.groups()
        if percent or underscore:
            return "".join(literal), False
        literal.append(escaped if escaped is not None else text)
    return "".join(literal), True


def select(records: Iterable[R], predicate: Predicate | None) -> list[R]:
    """The records matching `predicate` (None: all of them), in their order, as a new list."""
    if predicate is None:
        return list(records)
    return [r for r in records if predicate(r)]


def is_prompt(record: Any) -> bool:
    """Whether a model or version is one of MLflow's prompts: tagged `mlflow.prompt.is_prompt`
    with a value that reads `true` in any case (the MLflow plugin reads tags so too)."""
    return str(record.tags.get(PROMPT_TAG, "false")).lower() == "true"


def kind_predicate(prompts: bool, conditions: Predicate | None) -> Predicate:
    """Only prompts (`prompts`) or only what is no prompt, and the conditions."""
    kind = is_prompt if prompts else _no_prompt
    return kind if conditions is None else _both(kind, conditions)


def _no_prompt(record: Any) -> bool:
    return not is_prompt(record)


def compile_conditions(conditions: tuple[Condition, ...], schema: Schema) -> Predicate:
    tests = [_compile(c, schema) for c in conditions]
    predicate = tests[0]
    for test in tests[1:]:
        predicate = _both(predicate, test)
    return predicate


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda record: first(record) and second(record)


def _compile(condition: Condition, schema: Schema) -> Predicate:
    get = _tag_getter(condition.tag) if condition.field is None else (
        schema.fields[condition.field].get)
    check = _check(condition.op, condition.value)

    def test(record: Any) -> bool:
        value = get(record)
        return value is not None and check(value)

    return test


def _tag_getter(key: str | None) -> Callable[[Any], Any]:
    return lambda record: record.tags.get(key)


def _check(op: str, value: Any) -> Predicate:
    if op in ("LIKE", "ILIKE"):
        match = like_regex(value, ignore_case=op == "ILIKE").fullmatch
        # A hand-written YAML tag may hold a number or a list: no string, so no match.
        return lambda x: isinstance(x, str) and match(x) is not None
    if op in ("IN", "NOT IN"):
        members = frozenset(value)
        inside = partial(_member, members)
        return inside if op == "IN" else (lambda x: not inside(x))
    return partial(_FLIPPED[op], value)


def _member(members: frozenset[Any], x: Any) -> bool:
    try:
        return x in members
    except TypeError:  # a list or a mapping (hand-written YAML) is none of the strings
        return False
