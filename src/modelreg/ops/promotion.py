"""Operations on `aliases.yaml`: aliases and stages, everything a promotion changes.

Each writes only the model's `aliases.yaml`, so a promotion is a one-line diff that a
CODEOWNERS rule on `/models/**/aliases.yaml` can guard (DESIGN §1).
"""

from __future__ import annotations

from modelreg import names
from modelreg.change import Change, OpContext, Operation
from modelreg.errors import InvalidParameter, NotFound
from modelreg.model import AliasTable, Stage
from modelreg.ops._common import (
    aliases_write,
    listing,
    only_changed,
    require_model,
    require_version,
)
from modelreg.snapshot import Snapshot

# MLflow's `DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS`: the stages whose versions a transition
# may archive.
ACTIVE_STAGES = (Stage.STAGING, Stage.PRODUCTION)


def set_registered_model_alias(name: str, alias: str, version: int) -> Operation:
    """MlflowClient.set_registered_model_alias: the alias points at a live version.

    Setting an alias to the version it already names is allowed, as in MLflow, and changes
    nothing: the change then has no writes, which the writer takes as "nothing to commit".
    """

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        names.check_alias(alias)
        mv = require_version(snapshot, name, version)
        table = snapshot.alias_table(name)
        before = table.aliases.get(alias)
        after = AliasTable(aliases={**table.aliases, alias: mv.version}, stages=table.stages)
        if before is None or before == mv.version:
            summary = f"Set alias {alias} of {name} to version {mv.version}"
        else:
            summary = f"Move alias {alias} of {name} from version {before} to version {mv.version}"
        return Change(
            writes=only_changed(snapshot, aliases_write(name, after)),
            op="alias-set",
            summary=summary,
            trailers=(("Model", name), ("Version", str(mv.version)), ("Alias", alias)),
        )

    return run


def delete_registered_model_alias(name: str, alias: str) -> Operation:
    """MlflowClient.delete_registered_model_alias: the alias must exist."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        model = require_model(snapshot, name)
        table = snapshot.alias_table(name)
        if alias not in table.aliases:
            raise NotFound(
                f"model {name!r} has no alias {alias!r} (aliases: {listing(model.aliases)})"
            )
        target = table.aliases[alias]
        after = AliasTable(
            aliases={a: v for a, v in table.aliases.items() if a != alias}, stages=table.stages
        )
        return Change(
            writes=aliases_write(name, after),
            op="alias-delete",
            summary=f"Delete alias {alias} of {name}",
            trailers=(("Model", name), ("Version", str(target)), ("Alias", alias)),
        )

    return run


def transition_model_version_stage(
    name: str, version: int, stage: str, *, archive_existing_versions: bool = False
) -> Operation:
    """MlflowClient.transition_model_version_stage.

    With `archive_existing_versions`, the other versions in the target stage move to
    Archived; as in MLflow that is refused unless the target is Staging or Production.
    Stage `None` takes the version out of every stage. The result is the version as it is
    after the transition (its new stage, its aliases).
    """

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        target = Stage.parse(stage)
        if archive_existing_versions and target not in ACTIVE_STAGES:
            raise InvalidParameter(
                "model version transition cannot archive existing model versions because "
                f"{target.value!r} is not an active stage (active stages: Staging, Production)"
            )
        mv = require_version(snapshot, name, version)
        table = snapshot.alias_table(name)
        archived = _in_stage(table, target, but=mv.version) if archive_existing_versions else []
        after = _moved(table, mv.version, target, archived)
        return Change(
            writes=only_changed(snapshot, aliases_write(name, after)),
            op="stage-transition",
            summary=_transition_summary(name, mv.version, target, archived),
            trailers=(("Model", name), ("Version", str(mv.version)), ("Stage", target.value)),
            result=Snapshot.decorate(mv, after),
        )

    return run


def _in_stage(table: AliasTable, stage: Stage, *, but: int) -> list[int]:
    return sorted(v for v in table.stages.get(stage, ()) if v != but)


def _moved(table: AliasTable, version: int, target: Stage, archived: list[int]) -> AliasTable:
    """`version` in `target` only (in no list for stage None), `archived` in Archived only."""
    moving = {version, *archived}
    stages = {s: [v for v in vs if v not in moving] for s, vs in table.stages.items()}
    if target is not Stage.NONE:
        stages.setdefault(target, []).append(version)
    if archived:
        stages.setdefault(Stage.ARCHIVED, []).extend(archived)
    return AliasTable(
        aliases=table.aliases, stages={s: tuple(sorted(vs)) for s, vs in stages.items() if vs}
    )


def _transition_summary(name: str, version: int, target: Stage, archived: list[int]) -> str:
    summary = f"Move {name} version {version} to {target.value}"
    if target is Stage.NONE:
        summary = f"Move {name} version {version} to stage None"
    if archived:
        plural = "s" if len(archived) > 1 else ""
        summary += f", archive version{plural} {', '.join(map(str, archived))}"
    return summary
