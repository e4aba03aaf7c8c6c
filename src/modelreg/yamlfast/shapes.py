"""Shapes: the manifests of a registry look alike (issue #5).

Versions of a registry differ in their values, rarely in their keys. After a document is read
row by row, its shape is kept: one regex of its rows, each row literal except its value when
that is a string, a whole number or a float, which becomes a group of exactly that form; and
a function that rebuilds the document's data from the groups. A later document that matches
the regex has the same rows, keys and indentation, and values of the same forms, so the row
reader would give the same structure, these values, and the same lines: 5 us instead of 30.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from modelreg.yamlfast.rows import INT, JsonPath, Lines, Refused, quoted


class _Shape(NamedTuple):
    pattern: re.Pattern[str]
    build: Callable[[tuple[Any, ...]], Any]
    lines: Lines


_FORMS = {  # a value's form -> its group, and how the group becomes the value
    "str": (r'"([^"\\\n]*)"', "g[{}]"),
    "esc": (r'("[^"\\\n]*(?:\\.[^"\\\n]*)*")', "quoted(g[{}])"),
    "int": (rf"({INT})", "int(g[{}])"),
    "float": (rf"({INT}\.[0-9]+(?:e[-+][0-9]+)?)", "float(g[{}])"),
}


class _Shapes:
    """The last `KEEP` shapes seen, most recent first. Making one costs ~0.1 ms, so no more
    are made once they stop paying (a registry whose every file has other keys)."""

    KEEP = 16

    def __init__(self) -> None:
        self.kept: list[_Shape] = []
        self.made = 0
        self.hits = 0

    def worth_one(self) -> bool:
        return self.made < 8 or self.made * 16 < self.hits

    def add(self, text: str, data: Any, lines: Lines | None) -> None:
        self.made += 1
        shape = shape_of(text, data, lines) if lines is not None else None
        if shape is not None:
            self.kept = [shape, *self.kept[: self.KEEP - 1]]

    def forget(self) -> None:
        """For tests and benchmarks that measure a process's first reads."""
        self.kept, self.made, self.hits = [], 0, 0


SHAPES = _Shapes()


def match(text: str, lines: bool) -> tuple[Any, Lines] | None:
    """What the row reader would give for `text`, if it has a shape seen before. The shape
    that matched moves first: documents read in a row tend to share one, and a shape that
    does not match may read most of the text before it fails."""
    kept = SHAPES.kept
    for at, shape in enumerate(kept):
        found = shape.pattern.fullmatch(text)
        if found is not None:
            try:
                data = shape.build(found.groups())
            except (Refused, ValueError):  # an escape JSON reads otherwise, 5,000 digits
                return None
            SHAPES.hits += 1
            if at:
                kept.insert(0, kept.pop(at))
            return data, dict(shape.lines) if lines else {}
    return None


def shape_of(text: str, data: Any, lines: Lines) -> _Shape | None:
    """The shape of a document the row reader read as `data` with `lines`."""
    rows = text.split("\n")
    leaves: dict[int, list[tuple[JsonPath, Any]]] = {}
    for at, value in _leaves(data, ()):
        if at not in lines:
            return None  # a key named `<key>` lost its line: keep it simple
        leaves.setdefault(lines[at] - 1, []).append((at, value))
    pieces: list[str] = []
    slots: dict[JsonPath, str] = {}
    for number, row in enumerate(rows):
        form = _form(row, leaves.get(number, []))
        if form is None:
            pieces.append(re.escape(row))
        else:
            name, token, at = form
            pieces.append(re.escape(row[: len(row) - len(token)]) + _FORMS[name][0])
            slots[at] = _FORMS[name][1].format(len(slots))
    # The source holds only repr() of the document's keys and fixed values, group numbers and
    # the converters above: nothing of the document is run. A function is ~4x faster than
    # walking a template.
    try:
        build = eval(f"lambda g: {_source(data, (), slots)}", {"quoted": quoted})
    except (SyntaxError, RecursionError, MemoryError):  # nested too deep for the compiler
        return None
    return _Shape(re.compile("\n".join(pieces)), build, lines)


def _leaves(value: Any, at: JsonPath) -> Iterator[tuple[JsonPath, Any]]:
    """Every value that is not a non-empty mapping or list, with its path."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*at, key))
    elif isinstance(value, list) and value:
        for n, item in enumerate(value):
            yield from _leaves(item, (*at, n))
    else:
        yield at, value


def _form(row: str, leaves: list[tuple[JsonPath, Any]]) -> tuple[str, str, JsonPath] | None:
    """(form, token, path) of the one value a row ends with, if it may vary; None: the row
    stays literal (no value, several, a word like `true`, the header of a literal block)."""
    if len(leaves) != 1:
        return None
    at, value = leaves[0]
    kind, token, form = type(value), "", ""
    if kind is str and '"' not in value and "\\" not in value:
        token, form = f'"{value}"', "str"
    elif kind is str:
        match = re.search(f"{_FORMS['esc'][0]}$", row)
        if match and _escaped(match.group(1)) == value:
            token, form = match.group(1), "esc"
    elif kind is int:
        token, form = str(value), "int"
    elif kind is float:
        match = re.search(f"{_FORMS['float'][0]}$", row)
        if match and float(match.group(1)) == value:
            token, form = match.group(1), "float"
    prefix = row[: len(row) - len(token)]
    if not form or not row.endswith(token) or not prefix.endswith((": ", "- ")):
        return None
    if "\\" in prefix:
        return None  # an escaped quote in the key could end a group early: keep it literal
    return form, token, at


def _escaped(token: str) -> str | None:
    try:
        return quoted(token)
    except Refused:
        return None


def _source(value: Any, at: JsonPath, slots: dict[JsonPath, str]) -> str:
    """Python source that builds `value` anew, its varying leaves from the groups `g`."""
    if at in slots:
        return slots[at]
    if isinstance(value, dict):
        items = ", ".join(f"{k!r}: {_source(v, (*at, k), slots)}" for k, v in value.items())
        return f"{{{items}}}"
    if isinstance(value, list):
        return f"[{', '.join(_source(v, (*at, n), slots) for n, v in enumerate(value))}]"
    if isinstance(value, float):
        return f"float({str(value)!r})"  # also inf and nan
    return repr(value)  # None, True, False, a whole number, a string
