"""The last guards before a commit: the schemas, and the policy on the base (DESIGN §4).

Every write passes them, however it lands; a transaction's operations are checked against
the schemas one by one as they are queued, and the whole change against the policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from modelreg.errors import InvalidParameter, PolicyViolation, RegistryNotFound
from modelreg.snapshot import OverlayFiles, Snapshot

if TYPE_CHECKING:
    from modelreg import change as changes


def checker(actor: str, *, policy: bool) -> Callable[[Snapshot, changes.Change], None]:
    """The last guard before a commit: the schemas, then (for direct and pushed writes) the
    policy in the base's `registry.yaml`."""

    def check(snapshot: Snapshot, change: changes.Change) -> None:
        check_schemas(snapshot, change)
        if policy:
            _check_policy(snapshot, change, actor)

    return check


def _check_policy(base: Snapshot, change: changes.Change, actor: str) -> None:
    """Refuse a protected change this actor may not make without review (DESIGN §4)."""
    try:
        raw = base.config().policy
    except RegistryNotFound:
        return  # `modelreg init`: no policy yet
    if not raw:
        return
    from modelreg import policy
    from modelreg.diff import registry_diff

    try:
        rules = policy.parse_policy(raw)
    except InvalidParameter as exc:  # fail closed: a policy that cannot be read protects all
        raise InvalidParameter(f"registry.yaml's policy is invalid, so writes are refused "
                               f"until it is fixed: {exc} (`modelreg validate` lists every "
                               "problem)") from exc
    head = Snapshot(OverlayFiles(base.files, change.writes))
    events = registry_diff(base, head, list(change.writes)).events
    judged = policy.judge(rules, base, head, events, actor=actor, direct=True)
    errors = [p.message for p in judged if p.severity == "error"]
    if errors:  # every reason, so one refusal says all there is to fix
        raise PolicyViolation(f"the registry's policy refuses this change: {'; '.join(errors)}")


def check_schemas(snapshot: Snapshot, change: changes.Change) -> None:
    """Refuse a change whose manifests the schemas refuse (the last guard before a commit).
    Manifests that pass are judged by the shipped compiled checks alone: jsonschema is imported
    only to word a refusal (issue #5: it costs a CLI write ~60-70 ms)."""
    from modelreg import schema

    for path, data in change.writes.items():
        kind = schema.kind_of(path)
        if data is None or kind is None:
            continue
        problems = schema.validate_bytes(kind, data, path=path)
        if problems:
            raise InvalidParameter(f"refusing to write an invalid manifest: {problems[0]}")
        check_credentials(path, data)


def check_credentials(path: str, data: bytes) -> None:
    """Refuse a manifest holding what looks like a credential, naming the field and the
    pattern, never the value (issue #6: Git history keeps whatever is committed, forever).
    The raw text is searched first; only a suspect manifest is parsed again."""
    from modelreg import secretscan, yamlio

    if not secretscan.worth_scanning(data):
        return
    found = secretscan.manifest_problems(path, data, yamlio.load(data))
    if found:
        raise InvalidParameter(f"refusing to write {found[0]}")




def refuse_credentials(fields: Mapping[str, Any]) -> None:
    """Refuse values about to be recorded (a registration's, checked before any byte is
    uploaded) that look like credentials: the field and the pattern, never the value."""
    from modelreg import secretscan

    for finding in secretscan.scan(fields):
        where = secretscan.safe_path(finding.at)
        what = f"a key of {where}" if finding.in_key else where
        raise InvalidParameter(
            f"refusing to record {what}: it looks like {finding.label}; credentials never go "
            "into the registry: give them through fsspec's configuration or the environment")
