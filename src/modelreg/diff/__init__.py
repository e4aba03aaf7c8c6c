"""The registry diff: two registry states -> typed events (DESIGN §5 `modelreg diff`).

Pure: no Git. `registry_diff` takes two snapshots and the paths that differ between them;
`changed_paths` finds those paths for views that have no cheap tree diff (memory, work tree).
"""

from __future__ import annotations

from modelreg.diff.engine import registry_diff
from modelreg.diff.events import Event, EventKind, RegistryDiff
from modelreg.diff.paths import changed_paths

__all__ = ["Event", "EventKind", "RegistryDiff", "changed_paths", "registry_diff"]
