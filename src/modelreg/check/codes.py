"""The codes of `modelreg check`'s findings (besides `validate`'s and the policy's).

Scripts and CI match on them; the message says what to do. Severity `notice` is for what is
fine but worth saying (the pull request that creates the registry).
"""

from __future__ import annotations

from modelreg.problems import Severity

IMMUTABLE_FIELD = "IMMUTABLE_FIELD"  # artifacts, source, run, metrics, created_* changed
VERSION_TAKEN = "VERSION_TAKEN"  # the base branch gave this number meanwhile (or before)
VERSION_FILE_REMOVED = "VERSION_FILE_REMOVED"  # removed instead of tombstoned
LAST_VERSION_DECREASED = "LAST_VERSION_DECREASED"
REGISTRATION_REVERTED = "REGISTRATION_REVERTED"  # a forge "Revert" of a registration
UNKNOWN_STAGE = "UNKNOWN_STAGE"
ARTIFACT_MISSING = "ARTIFACT_MISSING"
ARTIFACT_MISMATCH = "ARTIFACT_MISMATCH"
BASE_UNREADABLE = "BASE_UNREADABLE"  # fail closed: a base that cannot be read is an error
BASE_NO_REGISTRY = "BASE_NO_REGISTRY"  # notice: the change creates the registry
STORE_CHANGED = "STORE_CHANGED"  # registry.yaml's `store:` moved: artifacts read from elsewhere
SYMLINK = "SYMLINK"  # a symbolic link in the registry folder: read as absent, refused
SUBMODULE = "SUBMODULE"  # a submodule (gitlink) in the registry folder, same

NOTICE: Severity = "notice"
