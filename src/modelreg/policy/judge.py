"""Judging a change by a policy: what it touches, what the versions it names lack, and who
may make it without review.

Requirements are judged on the version a protected alias or stage ends up naming: its tags as
they are on the BASE snapshot (a change cannot certify itself: a tag added by the same change
does not count), its metrics and artifacts as they are in HEAD (they are immutable).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from modelreg import layout, problems
from modelreg.diff import Event, EventKind
from modelreg.errors import ModelregError
from modelreg.model import ArtifactMode, ModelVersion
from modelreg.policy.lines import Lines
from modelreg.policy.rules import Policy, allowed
from modelreg.policy.touches import Touch, touches
from modelreg.problems import Problem
from modelreg.snapshot import Snapshot

POLICY_TAG_MISSING = "POLICY_TAG_MISSING"
POLICY_TAG_NOT_ON_BASE = "POLICY_TAG_NOT_ON_BASE"
POLICY_METRIC = "POLICY_METRIC"
POLICY_UNVERIFIED_ARTIFACTS = "POLICY_UNVERIFIED_ARTIFACTS"
POLICY_REVIEW_REQUIRED = "POLICY_REVIEW_REQUIRED"
POLICY_CHANGED = "POLICY_CHANGED"


@dataclass(frozen=True, slots=True)
class _Judging:
    base: Snapshot
    head: Snapshot
    lines: Lines
    actor: str | None
    direct: bool

    def problem(self, touch: Touch, code: str, message: str) -> Problem:
        return Problem(path=touch.file, line=self.lines.of(touch.file, touch.at),
                       json_path=problems.json_path(touch.at) if touch.at else "",
                       code=code, message=f"{touch.subject}: {message}")


def judge(
    policy: Policy,
    base: Snapshot,
    head: Snapshot,
    events: Sequence[Event],
    *,
    actor: str | None,
    direct: bool,
) -> list[Problem]:
    """Every policy finding of the change `events` (from `base` to `head`), sorted.

    `direct` is True for direct and pushed writes: a protected change then also needs the
    actor in the rule's `allow_direct`; False for a pull request (its review is the review).
    """
    judging = _Judging(base, head, Lines(head.files), actor, direct)
    found: list[Problem] = []
    for event in events:
        if event.kind is EventKind.REGISTRY_CHANGED and event.key == "policy":
            found.append(_policy_changed(judging))
        elif event.kind is EventKind.VERSION_REGISTERED and direct:
            found += _registration(policy, judging, event)
        for touch in touches(policy, base, head, event):
            found += _judge_touch(judging, touch)
    return problems.sort(_unique(found))


def _judge_touch(judging: _Judging, touch: Touch) -> list[Problem]:
    found = []
    if judging.direct and not allowed(judging.actor, touch.rule.allow_direct):
        who = judging.actor or "an unknown actor"
        may = ", ".join(touch.rule.allow_direct) or "nobody"
        found.append(judging.problem(touch, POLICY_REVIEW_REQUIRED, (
            f"{who} may not change it without review ({touch.how}; allowed directly: {may}); "
            "propose it for review with --propose")))
    if touch.version is not None:
        found += _requirements(judging, touch, touch.version)
    return found


def _requirements(judging: _Judging, touch: Touch, number: int) -> list[Problem]:
    now = _version(judging.head, touch.model, number)
    if now is None:
        return []  # a missing target is the check's ALIAS_TARGET_MISSING, not policy's
    was = _version(judging.base, touch.model, number)
    found = [judging.problem(touch, code, message)
             for code, message in _tag_findings(touch, now, was)]
    for key, threshold in sorted(touch.rule.require_metrics.items()):
        value = now.metrics.get(key)
        if value is None or not threshold.holds(value):
            has = f"has {key}={value:g}" if value is not None else f"has no metric {key!r}"
            found.append(judging.problem(touch, POLICY_METRIC, (
                f"v{number} {has}, and it needs {key} {threshold} (metrics are written once: "
                "register a version that meets it)")))
    mode = now.artifacts.mode if now.artifacts is not None else ArtifactMode.UNVERIFIED
    if touch.rule.require_verified_artifacts and mode is ArtifactMode.UNVERIFIED:
        found.append(judging.problem(touch, POLICY_UNVERIFIED_ARTIFACTS, (
            f"v{number}'s artifacts are unverified (nothing could be read at their source) and "
            "it needs verified ones: register it from readable files or a readable --reference")))
    return found


def _tag_findings(
    touch: Touch, now: ModelVersion, was: ModelVersion | None
) -> Iterable[tuple[str, str]]:
    # Tags count when BASE holds this very registration (not another one with its number).
    same = was is not None and (was.created_at, _digest(was)) == (now.created_at, _digest(now))
    on_base = was.tags if was is not None and same else {}
    for key, want in sorted(touch.rule.require_tags.items()):
        if on_base.get(key) == want:
            continue
        if now.tags.get(key) == want:
            yield POLICY_TAG_NOT_ON_BASE, (
                f"v{now.version} is tagged {key}={want!r} only by this change, and a change "
                "cannot certify itself: land the tag on the base branch first, then this change")
        else:
            command = shlex.join(["modelreg", "versions", "tag", touch.model,
                                  str(now.version), key, want])
            yield POLICY_TAG_MISSING, (
                f"v{now.version} needs tag {key}={want!r} (tag it on the base branch first: "
                f"{command})")


def _registration(policy: Policy, judging: _Judging, event: Event) -> list[Problem]:
    if allowed(judging.actor, policy.registrations.allow_direct):
        return []
    who = judging.actor or "an unknown actor"
    path = event.file or ""
    return [Problem(path=path, line=judging.lines.of(path), code=POLICY_REVIEW_REQUIRED,
                    message=f"registering {event.model} v{event.version} needs review: {who} "
                    "is not in policy.registrations.allow_direct (propose it with --propose)")]


def _policy_changed(judging: _Judging) -> Problem:
    path = layout.REGISTRY_FILE
    return Problem(
        path=path, line=judging.lines.of(path, ("policy",)), json_path="$.policy",
        code=POLICY_CHANGED, severity="warning",
        message="this change edits the policy: it is judged by the policy as it is on the base "
        "branch, and the new rules apply once it has landed (have the policy's owners review it)")


def _version(snapshot: Snapshot, model: str, number: int) -> ModelVersion | None:
    try:
        return snapshot.version(model, number)
    except ModelregError:  # a broken version file is the schema check's finding
        return None


def _digest(mv: ModelVersion) -> str:
    return mv.artifacts.digest if mv.artifacts is not None else ""


def _unique(found: Iterable[Problem]) -> list[Problem]:
    return list(dict.fromkeys(found))
