"""What `verify` and `gc` found, as values, and their text and JSON renderings (pure).

The library returns these; the CLI prints them (STYLE §5). A finding names the file and the
kind of damage, so a script can tell a missing file from a changed one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypedDict


class Damage(str, enum.Enum):
    MISSING = "missing"  # a file is not where the manifest says
    SIZE = "size"  # a file holds another number of bytes
    SHA256 = "sha256"  # the same size, other bytes
    MARKER = "marker"  # sha256/<hex>.complete is missing: the upload was never finished
    FILE_LIST = "file_list"  # the .files.json is missing or does not hash to the digest
    UNREADABLE = "unreadable"  # the store or the reference could not be read


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    file: str  # the file's path in the artifacts ('' when it is about the whole version)
    damage: Damage
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionCheck:
    uri: str  # models:/name/3
    mode: str  # stored, reference, unverified, none
    location: str
    findings: tuple[Finding, ...] = ()

    @property
    def status(self) -> str:
        if self.findings:
            return "damaged"
        return "unverified" if self.mode in ("unverified", "none") else "ok"


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    versions: tuple[VersionCheck, ...]

    @property
    def ok(self) -> bool:
        return not any(v.findings for v in self.versions)


@dataclass(frozen=True, slots=True, kw_only=True)
class GcItem:
    path: str  # store-relative: sha256/<hex> (its folder, marker and file list) or a temporary
    seen: str = ""  # when gc first saw it unreferenced
    due: str = ""  # when it may be deleted
    size: int = 0  # bytes (for what is deleted)


@dataclass(frozen=True, slots=True, kw_only=True)
class GcReport:
    store: str
    registries: tuple[str, ...]
    dry_run: bool
    tips: int  # commits of refs read
    commits: int  # commits of the retention window read
    referenced: int  # digests kept by references
    deleted: tuple[GcItem, ...] = ()  # (would be, on a dry run)
    marked: tuple[GcItem, ...] = ()  # unreferenced, seen for the first time (or used again)
    waiting: tuple[GcItem, ...] = ()  # marked before, grace period not over
    kept: tuple[GcItem, ...] = ()  # due, but used or referenced again when re-checked


# -- JSON ---------------------------------------------------------------------------------


class FindingJson(TypedDict):
    file: str
    damage: str
    message: str


class VersionCheckJson(TypedDict):
    uri: str
    mode: str
    location: str
    status: str
    findings: list[FindingJson]


class VerifyJson(TypedDict):
    ok: bool
    checked: int
    damaged: int
    unverified: int
    versions: list[VersionCheckJson]


def verify_json(report: VerifyReport) -> VerifyJson:
    versions = [
        VersionCheckJson(uri=v.uri, mode=v.mode, location=v.location, status=v.status,
                         findings=[FindingJson(file=f.file, damage=f.damage.value,
                                               message=f.message) for f in v.findings])
        for v in report.versions
    ]
    return VerifyJson(
        ok=report.ok, checked=len(versions),
        damaged=sum(1 for v in report.versions if v.status == "damaged"),
        unverified=sum(1 for v in report.versions if v.status == "unverified"),
        versions=versions,
    )


def gc_json(report: GcReport) -> dict[str, object]:
    def items(values: tuple[GcItem, ...]) -> list[dict[str, object]]:
        return [{"path": i.path, "seen": i.seen, "due": i.due, "size": i.size} for i in values]

    return {
        "store": report.store, "registries": list(report.registries),
        "dry_run": report.dry_run, "tips": report.tips, "commits": report.commits,
        "referenced": report.referenced, "deleted": items(report.deleted),
        "freed": sum(i.size for i in report.deleted), "marked": items(report.marked),
        "waiting": items(report.waiting), "kept": items(report.kept),
    }


# -- text -----------------------------------------------------------------------------------


def verify_text(report: VerifyReport) -> str:
    lines = []
    for v in report.versions:
        if v.status == "ok":
            continue
        if v.status == "unverified":
            lines.append(f"{v.uri}: unverified ({v.location}): nothing was recorded to check")
        for f in v.findings:
            lines.append(f"{v.uri}: {f.damage.value}: {f.message}")
    summary = verify_json(report)
    lines.append(
        f"{summary['checked']} version{'s' * (summary['checked'] != 1)} checked: "
        f"{summary['damaged']} damaged, {summary['unverified']} unverified"
    )
    return "\n".join(lines)


def gc_text(report: GcReport) -> str:
    verb = "would delete" if report.dry_run else "deleted"
    lines = [f"{verb} {i.path} ({i.size} bytes)" for i in report.deleted]
    lines += [f"kept {i.path}: used again since it was marked" for i in report.kept]
    lines += [f"marked {i.path} (may be deleted after {i.due})" for i in report.marked]
    lines += [f"waiting {i.path} (marked {i.seen}, may be deleted after {i.due})"
              for i in report.waiting]
    freed = sum(i.size for i in report.deleted)
    lines.append(
        f"{report.store}: {report.referenced} referenced digests kept ({report.tips} refs, "
        f"{report.commits} commits of history); {verb} {len(report.deleted)} items, "
        f"{freed} bytes{' (dry run: nothing changed)' if report.dry_run else ''}"
    )
    return "\n".join(lines)
