"""The row reader: modelreg's canonical YAML, one regex a row (see the package's docstring)."""

from __future__ import annotations

import re
from typing import Any

JsonPath = tuple[str | int, ...]
Lines = dict[JsonPath, int]

# A plain key that starts with a letter or `_` resolves to a string, a boolean or null (only
# ASCII digits, signs, `.`, `<`, `=` and `~` start anything else), and the loader keeps the
# word itself for the last two: such a key is its own text.
_KEY = r'[^\W0-9][\w.-]*|"[^"\\]*(?:\\.[^"\\]*)*"|\'[^\']*(?:\'\'[^\']*)*\''
INT = r"-?(?:0|[1-9][0-9]*)"
# A mapping row: indent, key, then its value when it is one of the two common forms (a string
# without escapes, a whole number), else the value's text (`_Reader.scalar` reads it).
_ENTRY = re.compile(rf'( *)({_KEY}):(?: (?:"([^"\\]*)"|({INT})|(.+)))?')
_QUOTED = re.compile(r'"([^"\\]*(?:(?:\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})[^"\\]*)*)"')
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # JSON pairs them, YAML refuses them
_IS_INT = re.compile(INT)
_IS_FLOAT = re.compile(rf"{INT}\.[0-9]+(?:e[-+][0-9]+)?")
_INT_LIST = re.compile(rf"\[({INT}(?:, {INT})*)\]")
_BLOCK = re.compile(r"\|([1-9]?)([-+]?)")
_WORDS = {"true": True, "false": False, "null": None, ".inf": float("inf"),
          "-.inf": float("-inf"), ".nan": float("nan")}
_MAX_KEY = 1000  # libyaml refuses a key longer than 1024 characters


class Refused(Exception):
    """Not the canonical form: the full loader decides."""


def read(text: str, lines: bool) -> tuple[Any, Lines] | None:
    """The row-by-row reading of a text `parse` has checked (decoded, printable, ends with a
    line break): `parse`'s answer, or None."""
    rows = text.split("\n")
    rows.pop()
    if rows and rows[-1] == "...":
        rows.pop()  # the end marker libyaml's emitter adds after a `|+` block
    start = 0
    while start < len(rows) and rows[start].startswith("#"):
        start += 1
    reader = _Reader(rows, {} if lines else None)
    try:
        data, end = reader.mapping(start, 0, ())
    except (Refused, ValueError, IndexError, RecursionError):  # int() of 5,000 digits, ...
        return None
    if end != len(rows) or not data:
        return None
    return data, reader.lines or {}


def _indent(row: str) -> int:
    return len(row) - len(row.lstrip(" "))


def _key(token: str) -> str:
    """A quoted key: libyaml single-quotes a key that would read as a number (`'1.0'`)."""
    return quoted(token) if token[0] == '"' else token[1:-1].replace("''", "'")


def quoted(token: str) -> str:
    """A double-quoted scalar whose escapes mean the same in JSON and in YAML."""
    match = _QUOTED.fullmatch(token)
    if match is None:
        raise Refused
    body = match.group(1)
    if "\\" not in body:
        return body
    if _SURROGATE.search(body):
        raise Refused
    import json  # ~1.5 ms: a resolve whose strings have no escapes never needs it (issue #5)

    return str(json.loads(token))


class _Reader:
    def __init__(self, rows: list[str], lines: Lines | None) -> None:
        self.rows = rows
        self.lines = lines

    def mapping(  # noqa: C901 - the hot loop: one frame per mapping, no call per row
        self, i: int, indent: int, at: JsonPath
    ) -> tuple[dict[str, Any], int]:
        """The block mapping whose keys start at column `indent` on row `i`."""
        rows, lines, end = self.rows, self.lines, len(self.rows)
        out: dict[str, Any] = {}
        if lines is not None:
            lines[at] = i + 1
        while i < end:
            match = _ENTRY.fullmatch(rows[i])
            if match is None:
                if _indent(rows[i]) < indent:
                    break  # the end of this mapping: a parent's next entry
                raise Refused
            blanks, token, text, number, other = match.groups()
            if len(blanks) != indent:
                if len(blanks) < indent:
                    break  # the same, after a deeper mapping's last entry
                raise Refused
            key = token if token[0] not in "\"'" else _key(token)
            if key in out or len(token) > _MAX_KEY:
                raise Refused  # the full loader names the duplicate, or refuses the key
            if lines is not None:
                where = (*at, key)
                lines[where] = i + 1
            if text is not None:  # the common forms first, without a call
                out[key], i = text, i + 1
            elif number is not None:
                out[key], i = int(number), i + 1
            else:
                out[key], i = self.value(i, indent, (*at, key), other)
        if lines is not None:
            lines.pop((*at, "<key>"), None)  # as the full loader does
        return out, i

    def value(self, i: int, indent: int, at: JsonPath, token: str | None) -> tuple[Any, int]:
        """The value of the entry on row `i` in any other form: the block below `key:`, a
        literal block, or a scalar after `key: `."""
        if token is None:
            return self.nested(i + 1, indent, at)
        if token[0] == "|":
            return self.literal(i, indent, token)
        return self.scalar(token, at, i + 1), i + 1

    def nested(self, i: int, indent: int, at: JsonPath) -> tuple[Any, int]:
        """The collection below `key:` (or after a `- `): deeper, or a list at its column."""
        if i >= len(self.rows):
            raise Refused  # `key:` and nothing: null, which modelreg never writes
        row = self.rows[i]
        inner = _indent(row)
        if row.startswith("- ", inner) and inner >= indent:
            return self.sequence(i, inner, at)
        if inner > indent:
            return self.mapping(i, inner, at)
        raise Refused

    def sequence(self, i: int, indent: int, at: JsonPath) -> tuple[list[Any], int]:
        rows, lines, end = self.rows, self.lines, len(self.rows)
        out: list[Any] = []
        if lines is not None:
            lines[at] = i + 1
        dash = " " * indent + "- "  # exactly `indent` blanks, then the item's dash
        while i < end and rows[i].startswith(dash):
            item = rows[i][indent + 2 :]
            where = (*at, len(out))
            if item[:1] in (" ", "|", ""):
                raise Refused
            if item.startswith("- ") or _ENTRY.fullmatch(item):
                # A compact collection (`- - x`, `- key: x`): read it as if it began on
                # its own row, two columns in, where its later rows are.
                rows[i] = " " * (indent + 2) + item
                value, i = self.nested(i, indent + 1, where)
            else:
                if lines is not None:
                    lines[where] = i + 1
                value, i = self.scalar(item, where, i + 1), i + 1
            out.append(value)
        if i < end and _indent(rows[i]) > indent:
            raise Refused
        return out, i

    def scalar(self, token: str, at: JsonPath, line: int) -> Any:
        """A value on one row, in a form `yamlio.dump` writes; anything else is refused."""
        first = token[0]
        if first == '"':
            return quoted(token)
        if first == "-" or first.isdigit():
            if _IS_INT.fullmatch(token):
                return int(token)
            if _IS_FLOAT.fullmatch(token):
                return float(token)
        if token in _WORDS:
            return _WORDS[token]
        if token == "{}":
            return {}
        if token == "[]":
            return []
        match = _INT_LIST.fullmatch(token)
        if match is None:
            raise Refused
        items = [int(x) for x in match.group(1).split(", ")]
        if self.lines is not None:
            self.lines.update({(*at, n): line for n in range(len(items))})
        return items

    def literal(self, i: int, indent: int, token: str) -> tuple[str, int]:
        """A `|` block: its rows indented past `indent`, joined, then chomped."""
        header = _BLOCK.fullmatch(token)
        if header is None:
            raise Refused
        rows = self.rows
        i += 1
        if header.group(1):  # an indentation indicator counts from the mapping's column
            inner = indent + int(header.group(1))
        elif i < len(rows) and rows[i] and (inner := _indent(rows[i])) > indent:
            pass
        else:
            raise Refused  # leading empty rows make libyaml guess the indentation
        pad = " " * inner
        body: list[str] = []
        while i < len(rows) and (not rows[i] or rows[i].startswith(pad)):
            if rows[i].endswith(" "):
                raise Refused  # trailing blanks: modelreg double-quotes such text
            body.append(rows[i][inner:])
            i += 1
        if i < len(rows) and not rows[i].strip(" "):
            raise Refused  # a row of blanks shorter than the indentation
        kept = len(body)
        while body and not body[-1]:
            body.pop()
        if not body:
            raise Refused
        text = "\n".join(body)
        chomp = header.group(2)
        if chomp == "-":
            return text, i
        return text + "\n" * (1 + (kept - len(body) if chomp == "+" else 0)), i


