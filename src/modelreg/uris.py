"""`models:/` references: parsing and the one resolver every front door uses (DESIGN §3).

`models:/<name>/<version>`, `models:/<name>@<alias>`, `models:/<name>/<stage>` (the latest
version in that stage) and `models:/<name>/latest` (the latest live version). Parsing follows
MLflow: the name is everything before the last `/` (or the last `@` for an alias), so names
with `@` still work with a version (`models:/a@b/1`).
"""

from __future__ import annotations

from dataclasses import dataclass

from modelreg.errors import InvalidParameter, NotFound
from modelreg.model import ModelVersion, Stage
from modelreg.names import check_alias, check_model_name
from modelreg.snapshot import Snapshot

SCHEME = "models:/"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRef:
    """A parsed reference: exactly one of version, alias, stage, latest is set."""

    name: str
    version: int | None = None
    alias: str | None = None
    stage: Stage | None = None
    latest: bool = False

    def __str__(self) -> str:
        if self.alias is not None:
            return f"{SCHEME}{self.name}@{self.alias}"
        if self.version is not None:
            return f"{SCHEME}{self.name}/{self.version}"
        if self.stage is not None:
            return f"{SCHEME}{self.name}/{self.stage.value}"
        return f"{SCHEME}{self.name}/latest"


def parse(uri: str) -> ModelRef:
    """Parse a `models:/` URI, or raise InvalidParameter showing the accepted forms."""
    if not isinstance(uri, str) or not uri.startswith(SCHEME) or uri.startswith("models://"):
        raise _bad(uri)
    path = uri[len(SCHEME) :].rstrip("/")
    if "/" in path:
        name, _, last = path.rpartition("/")
        check_model_name(name)
        if last.isdigit() and int(last) > 0:
            return ModelRef(name=name, version=int(last))
        if last.lower() == "latest":
            return ModelRef(name=name, latest=True)
        try:
            return ModelRef(name=name, stage=Stage.parse(last))
        except InvalidParameter:
            raise _bad(uri) from None
    if "@" in path:
        name, _, alias = path.rpartition("@")
        return ModelRef(name=check_model_name(name), alias=check_alias(alias))
    raise _bad(uri)


def _bad(uri: object) -> InvalidParameter:
    return InvalidParameter(
        f"invalid model URI {uri!r} (expected models:/NAME/VERSION, models:/NAME@ALIAS, "
        "models:/NAME/STAGE or models:/NAME/latest)"
    )


def resolve(snapshot: Snapshot, ref: ModelRef | str) -> ModelVersion:
    """The live version a reference names at this snapshot, or NotFound saying why."""
    if isinstance(ref, str):
        ref = parse(ref)
    model = snapshot.require_model(ref.name)
    if ref.alias is not None:
        target = model.aliases.get(ref.alias)
        if target is None:
            known = ", ".join(sorted(model.aliases)) or "none"
            raise NotFound(f"model {ref.name!r} has no alias {ref.alias!r} (aliases: {known})")
        return _version(snapshot, ref.name, target, why=f"alias {ref.alias!r} points at it")
    if ref.version is not None:
        return _version(snapshot, ref.name, ref.version)
    if ref.stage is not None:
        found = snapshot.latest_in_stage(ref.name, ref.stage)
        if found is None:
            raise NotFound(f"model {ref.name!r} has no version in stage {ref.stage.value}")
        return found
    for number in reversed(snapshot.version_numbers(ref.name)):
        mv = snapshot.version(ref.name, number)
        if mv is not None:
            return mv
    raise NotFound(f"model {ref.name!r} has no versions")


def _version(snapshot: Snapshot, name: str, number: int, *, why: str = "") -> ModelVersion:
    mv = snapshot.version(name, number)
    if mv is not None:
        return mv
    raw = snapshot.raw_version(name, number)
    state = "was deleted" if raw is not None and raw.deleted else "does not exist"
    suffix = f" ({why})" if why else ""
    raise NotFound(f"model {name!r} version {number} {state}{suffix}")
