"""The policy of `registry.yaml` as values: protected aliases and stages, who may register.

```yaml
policy:
  aliases:
    champion:
      require_tags: {validation_status: approved}
      require_metrics: {auc: ">= 0.9"}
      require_verified_artifacts: true
      allow_direct: ["release-bot", "*@release.example.com"]
  stages:
    Production: {require_tags: {validation_status: approved}}
  registrations:
    allow_direct: ["*"]
```

`parse_policy` accepts exactly what `schemas/registry.json` (`policy`) describes, and says
what is wrong the way the schema would, naming the key.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from modelreg import names
from modelreg.errors import InvalidParameter
from modelreg.model import Stage

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
}
# Kept equal to the `threshold` pattern of schemas/registry.json.
THRESHOLD_RE = re.compile(
    r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*$"
)
_RULE_KEYS = ("require_tags", "require_metrics", "require_verified_artifacts", "allow_direct")
_POLICY_KEYS = ("aliases", "stages", "registrations")
PROTECTABLE_STAGES = tuple(s.value for s in Stage if s is not Stage.NONE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold:
    """`>= 0.9`: what a metric must satisfy."""

    op: str
    value: float

    def holds(self, metric: float) -> bool:
        return _COMPARE[self.op](metric, self.value)

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """What a protected alias or stage needs of the version it names, and who may change it
    without review (`allow_direct`: fnmatch patterns of actors; empty: nobody)."""

    require_tags: Mapping[str, str] = field(default_factory=dict)
    require_metrics: Mapping[str, Threshold] = field(default_factory=dict)
    require_verified_artifacts: bool = False
    allow_direct: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Registrations:
    """Who may register versions without review (default: anyone)."""

    allow_direct: tuple[str, ...] = ("*",)


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Protected aliases (by alias name, in every model) and stages (by stage name)."""

    aliases: Mapping[str, Rule] = field(default_factory=dict)
    stages: Mapping[str, Rule] = field(default_factory=dict)
    registrations: Registrations = field(default_factory=Registrations)

    def __bool__(self) -> bool:
        return bool(self.aliases or self.stages or self.registrations != Registrations())


def allowed(actor: str | None, patterns: tuple[str, ...]) -> bool:
    """Whether `actor` matches one of `patterns` (fnmatch, case-insensitive).

    An actor written `Name <email>` (Git's identity) is matched as a whole, by its name and
    by its email, so `release-bot` and `*@release.example.com` both work. `*` matches anyone,
    even an unknown actor.
    """
    if "*" in patterns:
        return True
    if not actor:
        return False
    candidates = {actor}
    match = re.match(r"^(.*?)\s*<([^<>]*)>\s*$", actor)
    if match:
        candidates |= {match.group(1), match.group(2)}
    return any(
        fnmatch.fnmatchcase(c.casefold(), p.casefold()) for c in candidates if c for p in patterns
    )


# ---------------------------------------------------------------- parsing


def parse_policy(raw: Mapping[str, Any]) -> Policy:
    """The `policy:` mapping of `registry.yaml` as a `Policy`; InvalidParameter names the key
    that is wrong."""
    table = _mapping(raw, "policy")
    _known(table, _POLICY_KEYS, "policy")
    aliases = {}
    for alias, rule in _mapping(table.get("aliases", {}), "policy.aliases").items():
        try:
            names.check_alias(alias)
        except InvalidParameter as exc:
            raise InvalidParameter(f"policy.aliases: {exc}") from None
        aliases[alias] = _rule(rule, f"policy.aliases.{alias}")
    stages = {}
    for stage, rule in _mapping(table.get("stages", {}), "policy.stages").items():
        if stage not in PROTECTABLE_STAGES:
            raise InvalidParameter(
                f"policy.stages: unknown stage {stage!r} (stages: {', '.join(PROTECTABLE_STAGES)})"
            )
        stages[stage] = _rule(rule, f"policy.stages.{stage}")
    return Policy(aliases=aliases, stages=stages,
                  registrations=_registrations(table.get("registrations", {})))


def _registrations(raw: Any) -> Registrations:
    table = _mapping(raw, "policy.registrations")
    _known(table, ("allow_direct",), "policy.registrations")
    if "allow_direct" not in table:
        return Registrations()
    return Registrations(allow_direct=_actors(table["allow_direct"], "policy.registrations"))


def _rule(raw: Any, where: str) -> Rule:
    table = _mapping(raw, where)
    _known(table, _RULE_KEYS, where)
    tags = _mapping(table.get("require_tags", {}), f"{where}.require_tags")
    for key, value in tags.items():
        if not isinstance(value, str):
            raise InvalidParameter(f"{where}.require_tags.{key}: expected a string, got "
                                   f"{value!r:.60} (quote the value to keep it a string)")
    metrics = _mapping(table.get("require_metrics", {}), f"{where}.require_metrics")
    verified = table.get("require_verified_artifacts", False)
    if not isinstance(verified, bool):
        raise InvalidParameter(f"{where}.require_verified_artifacts: expected true or false, "
                               f"got {verified!r:.60}")
    return Rule(
        require_tags=dict(tags),
        require_metrics={k: _threshold(v, f"{where}.require_metrics.{k}")
                         for k, v in metrics.items()},
        require_verified_artifacts=verified,
        allow_direct=_actors(table.get("allow_direct", []), where),
    )


def _threshold(raw: Any, where: str) -> Threshold:
    match = THRESHOLD_RE.match(raw) if isinstance(raw, str) else None
    value = float(match.group(2)) if match else math.nan
    if match is None or not math.isfinite(value):
        raise InvalidParameter(f"{where}: {raw!r:.60} is not a comparison like \">= 0.9\" "
                               "(operators: >=, >, <=, <, ==, !=)")
    return Threshold(op=match.group(1), value=value)


def _actors(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(a, str) and a for a in raw):
        raise InvalidParameter(f"{where}.allow_direct: expected a list of actor patterns "
                               f"(strings), got {raw!r:.60}")
    return tuple(raw)


def _mapping(raw: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidParameter(f"{where}: expected a mapping, got {raw!r:.60}")
    return raw


def _known(table: Mapping[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in keys:
            close = difflib.get_close_matches(str(key), keys, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"keys: {', '.join(keys)}"
            raise InvalidParameter(f"{where}: unknown key {key!r} ({hint})")
