"""`verify`: re-hash the artifacts of versions against their manifests (DESIGN §2).

Each version is checked by `store.audit` (every file read and hashed, the marker and the file
list looked at). On a remote store several versions are checked at once, each moving its own
files in parallel too, so `verify --all` over a thousand small versions is not a thousand
round trips in a row; a local store is read from one thread (the disk is not waiting on a
network). A version whose store cannot be read is reported as unreadable, and the others are
still checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from modelreg.errors import StoreError
from modelreg.upkeep.report import Damage, Finding, VerifyReport, VersionCheck

if TYPE_CHECKING:
    from modelreg.model import ModelVersion
    from modelreg.store import Store

VERSIONS_AT_ONCE = 4  # versions checked at once on a remote store (each moves files in parallel)


def verify_versions(
    store: Store, versions: Sequence[ModelVersion], *, locate: Callable[[ModelVersion], str]
) -> VerifyReport:
    """Check every version's files; `locate` names where a version's files are."""

    def check(mv: ModelVersion) -> VersionCheck:
        return check_version(store, mv, location=locate(mv))

    workers = min(VERSIONS_AT_ONCE, len(versions)) if store.workers(store.fs) > 1 else 1
    if workers <= 1:
        return VerifyReport(versions=tuple(map(check, versions)))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="modelreg-verify") as pool:
        return VerifyReport(versions=tuple(pool.map(check, versions)))


def check_version(store: Store, mv: ModelVersion, *, location: str) -> VersionCheck:
    from modelreg.store.audit import audit

    art = mv.artifacts
    if art is None:
        return VersionCheck(uri=mv.uri, mode="none", location="")
    try:
        findings = tuple(audit(store, art))
    except StoreError as exc:
        findings = (Finding(file="", damage=Damage.UNREADABLE, message=str(exc)),)
    return VersionCheck(uri=mv.uri, mode=art.mode.value, location=location, findings=findings)
