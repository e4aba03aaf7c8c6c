"""The error types of modelreg.

One shallow tree (STYLE §8): every error a user can cause is a `ModelregError` whose `code`
is one of MLflow's (`RESOURCE_DOES_NOT_EXIST`, `RESOURCE_ALREADY_EXISTS`,
`INVALID_PARAMETER_VALUE`) or `CONFLICT`, and whose `str()` is the one-line message the CLI
prints. The CLI maps this whole tree to exit code 1 in one place.
"""

from __future__ import annotations

RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
CONFLICT = "CONFLICT"
PERMISSION_DENIED = "PERMISSION_DENIED"
INTERNAL_ERROR = "INTERNAL_ERROR"


class ModelregError(Exception):
    """Base of every error modelreg raises on purpose."""

    code: str = INTERNAL_ERROR

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidParameter(ModelregError):
    """A name, alias, tag, URI, filter or option the user gave is not acceptable."""

    code = INVALID_PARAMETER_VALUE


class NotFound(ModelregError):
    """A registered model, version, alias or revision does not exist."""

    code = RESOURCE_DOES_NOT_EXIST


class AlreadyExists(ModelregError):
    """Creating something that exists already (MLflow's RESOURCE_ALREADY_EXISTS)."""

    code = RESOURCE_ALREADY_EXISTS


class Conflict(ModelregError):
    """The registry moved or holds uncommitted edits in the way of a write."""

    code = CONFLICT


class RegistryNotFound(NotFound):
    """No `registry.yaml` where one was looked for."""


class ManifestError(InvalidParameter):
    """A manifest on disk cannot be read: bad YAML, duplicate keys, anchors, wrong shape."""

    def __init__(self, message: str, *, path: str = "", line: int | None = None) -> None:
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line


class ArtifactError(ModelregError):
    """Artifacts missing, unreadable, or whose bytes do not match their recorded sha256."""

    code = INVALID_PARAMETER_VALUE


class IntegrityError(ArtifactError):
    """A file's bytes do not match the sha256 the manifest records."""


class StoreError(ModelregError):
    """The artifact store failed (unreachable, permission denied, ...)."""

    code = INTERNAL_ERROR


class GitError(ModelregError):
    """Git refused or failed (not a repository, unknown revision, push rejected, ...)."""

    code = INVALID_PARAMETER_VALUE


class NotFirstParentAncestor(InvalidParameter):
    """`modelreg diff --first-parent OLD NEW` where OLD is not on NEW's first-parent history
    (`old`, `new`: the revisions as given)."""

    def __init__(self, message: str, *, old: str, new: str) -> None:
        super().__init__(message)
        self.old = old
        self.new = new


class PolicyViolation(ModelregError):
    """The registry's policy refuses this change for this actor (MLflow's PERMISSION_DENIED)."""

    code = PERMISSION_DENIED
