"""gc's decisions, from what it found (pure: no store, no Git, no clock of its own).

A run marks what is unreferenced now, keeping the time each item was first seen; an item is
due once it has stayed unreferenced for the grace period; due items are re-checked (tips
re-read, touches looked at) before anything is deleted. An item used again meanwhile (an
upload touched it) starts its grace period over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import NamedTuple


class Marking(NamedTuple):
    marks: dict[str, str]  # store-relative path -> when first seen unreferenced (RFC 3339)
    new: list[str]  # seen unreferenced for the first time (or again after being used)


def stamp(moment: dt.datetime) -> str:
    """RFC 3339 UTC with milliseconds, the project's time format."""
    utc = moment.astimezone(dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_stamp(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def mark(
    previous: Mapping[str, str], unreferenced: Iterable[str], used: Iterable[str], *,
    now: dt.datetime,
) -> Marking:
    """The marks after this run's look: unreferenced items keep their first-seen time unless
    `used` (touched since) or unreadable; items referenced again or gone are dropped."""
    used_now = set(used)
    marks: dict[str, str] = {}
    new: list[str] = []
    for key in sorted(set(unreferenced)):
        seen = previous.get(key)
        if seen is None or key in used_now or parse_stamp(seen) is None:
            marks[key] = stamp(now)
            new.append(key)
        else:
            marks[key] = seen
    return Marking(marks, new)


def due(marks: Mapping[str, str], *, now: dt.datetime, grace: dt.timedelta) -> list[str]:
    """The marked items unreferenced for at least `grace`."""
    out = []
    for key, seen in sorted(marks.items()):
        moment = parse_stamp(seen)
        if moment is not None and now - moment >= grace:
            out.append(key)
    return out


def due_at(seen: str, grace: dt.timedelta) -> str:
    """When an item marked at `seen` becomes due."""
    moment = parse_stamp(seen)
    return stamp(moment + grace) if moment is not None else ""


def key_hex(key: str) -> str | None:
    """The digest hex of a content item (`sha256/<hex>`), None for a temporary."""
    return key.removeprefix("sha256/") if key.startswith("sha256/") else None


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, *, option: str) -> dt.timedelta:
    """`30d`, `12h`, `90m`, `45s`, `2w` or `0` as a duration."""
    raw = text.strip().lower()
    number, unit = (raw[:-1], raw[-1]) if raw and raw[-1] in _UNITS else (raw, "s")
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        from modelreg.errors import InvalidParameter

        raise InvalidParameter(f"{option} {text!r} is not a duration (like 30d, 12h, 90m, 0)")
    return dt.timedelta(seconds=value * _UNITS[unit])
