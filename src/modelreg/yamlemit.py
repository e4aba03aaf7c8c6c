"""A writer of exactly what `yamlio.dump` writes through libyaml, without importing `yaml`.

Issue #5: importing `yaml` costs a process 10-15 ms (its pure-Python reader compiles a large
regex), and every write dumps a manifest. What modelreg dumps is small and of a few types
(mappings of strings, numbers, booleans, null, lists), so libyaml's emitter is followed here
for those: block style, two-space indents, lists in a mapping not indented, lists of integers
inline, the styles `yamlio` asks for (double-quoted strings, `|` for multi-line text, keys
plain when safe), and libyaml's own choices where it overrides them (a literal block it may
not write becomes double-quoted; its escapes; `|2` when text starts with a space).

The contract is all-or-nothing, as for `yamlfast`: `emit` returns libyaml's bytes exactly, or
None for anything it does not cover (another type, a shared list that libyaml would anchor,
a key past 128 bytes or with a line break), and `yamlio` then runs libyaml.
tests/test_yamlemit.py compares the two on generated data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_YAML11_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})
_BREAKS = frozenset("\r\n\x85\u2028\u2029")
_NAMED = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f",
          "\r": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\u2028": "L",
          "\u2029": "P"}
_MAX_SIMPLE_KEY = 128  # bytes: libyaml writes a longer key as `? key`


class _Refused(Exception):
    """Outside what this writer covers: libyaml decides."""


def emit(data: Mapping[str, Any]) -> str | None:
    """libyaml's block-style text of `data` as `yamlio.dump` configures it, or None."""
    if type(data) is not dict:
        return None
    out: list[str] = []
    writer = _Writer(out)
    try:
        writer.mapping(data, 0, "")
    except (_Refused, RecursionError):
        return None
    if writer.open_ended:
        out.append("...\n")  # libyaml ends a document whose last block kept its breaks so
    return "".join(out) if out else None


class _Writer:
    def __init__(self, out: list[str]) -> None:
        self.out = out
        self.seen: set[int] = set()  # containers written: one written twice is an anchor
        self.open_ended = False  # the last literal block was `|+`

    def enter(self, value: Any) -> None:
        if id(value) in self.seen:
            raise _Refused
        self.seen.add(id(value))

    def mapping(self, value: dict[Any, Any], indent: int, first: str) -> None:
        """Rows of a non-empty mapping at `indent`; the first row goes after `first`."""
        self.enter(value)
        pad = " " * indent
        for n, (key, item) in enumerate(value.items()):
            self.out.append(first if n == 0 else pad)
            self.out.append(_key(str(key)))
            self.out.append(":")
            self.value(item, indent, in_mapping=True)

    def sequence(self, value: list[Any] | tuple[Any, ...], indent: int, first: str) -> None:
        """Rows of a non-empty block list whose dashes are at `indent`."""
        self.enter(value)
        pad = " " * indent
        for n, item in enumerate(value):
            self.out.append(first if n == 0 else pad)
            self.out.append("-")
            self.value(item, indent, in_mapping=False)

    def value(self, item: Any, indent: int, *, in_mapping: bool) -> None:
        """What follows `key:` or `-`, through the end of its last row."""
        kind = type(item)
        if kind is dict and item:
            if in_mapping:
                self.out.append("\n")
                self.mapping(item, indent + 2, " " * (indent + 2))
            else:
                self.mapping(item, indent + 2, " ")
        elif (kind is list or kind is tuple) and item and not _ints(item):
            if in_mapping:
                self.out.append("\n")
                self.sequence(item, indent, " " * indent)
            else:
                self.sequence(item, indent + 2, " ")
        else:
            self.out.append(" ")
            self.out.append(self.scalar(item, indent + 2))
            self.out.append("\n")

    def scalar(self, item: Any, body_indent: int) -> str:
        kind = type(item)
        if kind is str:
            return self.text(item, body_indent)
        if kind is bool:
            return "true" if item else "false"
        if kind is int:
            return str(item)
        if kind is float:
            return _float(item)
        if item is None:
            return "null"
        if kind is dict and not item:
            self.enter(item)
            return "{}"
        if kind is list or kind is tuple:  # empty, or integers only: inline
            if item or kind is list:  # PyYAML never anchors `()`
                self.enter(item)
            return "[" + ", ".join(map(str, item)) + "]"
        raise _Refused

    def text(self, value: str, body_indent: int) -> str:
        """A string: a literal block when it has an inner line break and libyaml may write
        one (no tab or other unprintable character, no space before a break or at the end)."""
        if "\n" not in value.rstrip("\n") or not _block_allowed(value):
            return _quoted(value)
        if "\u2028" in value or "\u2029" in value:
            raise _Refused  # libyaml breaks the block's lines there too
        kept = value.endswith("\n\n")
        self.open_ended = kept
        chomp = "+" if kept else "" if value.endswith("\n") else "-"
        hints = ("2" if value[0] in " \n" else "") + chomp
        pad = " " * body_indent
        rows = value.removesuffix("\n").split("\n")
        return "|" + hints + "".join("\n" + (pad + row if row else "") for row in rows)


def _ints(items: list[Any] | tuple[Any, ...]) -> bool:
    return all(type(v) is int for v in items)


def plain_key(key: str) -> bool:
    """`yamlio`'s choice: a key is written plain when it reads back as the same text (no
    number, no YAML 1.1 boolean or null), else double-quoted."""
    return key.replace("_", "").replace("-", "").replace(".", "").isalnum() and not (
        key[0].isdigit() or key.lower() in _YAML11_WORDS
    )


def _key(key: str) -> str:
    """`yamlio`'s key style (plain when it reads as the same text), as libyaml writes it."""
    if len(key.encode("utf-8", "surrogatepass")) > _MAX_SIMPLE_KEY or not _BREAKS.isdisjoint(key):
        raise _Refused
    if not plain_key(key):
        return _quoted(key)
    # Starting with a letter or `_`, a key reads as no number, and `_YAML11_WORDS` holds every
    # word YAML 1.1 reads otherwise: only an unprintable letter (`𝒜`) stops libyaml writing
    # it plain, and it is then double-quoted. Others (`.inf`, `-1`) it single-quotes.
    if not (key[0].isalpha() or key[0] == "_"):
        raise _Refused
    return _quoted(key) if any(map(_unprintable, key)) else key


def _float(value: float) -> str:
    """PyYAML's `represent_float`."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text


def _block_allowed(value: str) -> bool:
    if value.endswith(" ") or " \n" in value:
        return False
    return _common(value.replace("\n", " ")) or not any(map(_unprintable, value))


def _common(value: str) -> bool:
    """Nothing libyaml escapes but `"` and `\\` (the usual case, decided at C speed): what
    Python calls printable within the BMP is printable to libyaml, and no line break."""
    return value.isprintable() and (value.isascii() or max(value) < "\U00010000")


def _unprintable(char: str) -> bool:
    """Outside libyaml's printable set (the line feed is inside it)."""
    code = ord(char)
    if code < 0x7F:
        return code < 0x20 and code != 0x0A
    return not (0xA0 <= code <= 0xD7FF or (0xE000 <= code <= 0xFFFD and code != 0xFEFF))


def _quoted(value: str) -> str:
    """libyaml's double-quoted scalar, never folded (`yamlio` sets no line width)."""
    if _common(value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise _Refused  # not UTF-8: libyaml's error, not ours
    return '"' + "".join(map(_escaped, value)) + '"'


def _escaped(char: str) -> str:
    if char in _NAMED:
        return "\\" + _NAMED[char]
    if not _unprintable(char):
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"
