"""The operations: the registry's state at a base -> the files to change and the commit's words.

Each function here takes an operation's parameters and returns a `change.Operation`, a closure
`(snapshot, ctx) -> Change` that reads nothing but the snapshot and the context (`ctx.now`,
`ctx.actor`), checks its inputs against the snapshot and says what to write (STYLE §2). It
can be run again on a moved head, and on top of other operations in a transaction.

A change with no writes (an alias set where it already points, a stage a version is already
in) means "nothing to commit": the writer makes no commit for it.
"""

from __future__ import annotations

from modelreg.ops.models import (
    create_registered_model,
    delete_registered_model,
    delete_registered_model_tag,
    rename_registered_model,
    set_registered_model_tag,
    update_registered_model,
)
from modelreg.ops.promotion import (
    delete_registered_model_alias,
    set_registered_model_alias,
    transition_model_version_stage,
)
from modelreg.ops.versions import (
    copy_model_version,
    create_model_version,
    delete_model_version,
    delete_model_version_tag,
    set_model_version_tag,
    update_model_version,
)

__all__ = [
    "copy_model_version",
    "create_model_version",
    "create_registered_model",
    "delete_model_version",
    "delete_model_version_tag",
    "delete_registered_model",
    "delete_registered_model_alias",
    "delete_registered_model_tag",
    "rename_registered_model",
    "set_model_version_tag",
    "set_registered_model_alias",
    "set_registered_model_tag",
    "transition_model_version_stage",
    "update_model_version",
    "update_registered_model",
]
