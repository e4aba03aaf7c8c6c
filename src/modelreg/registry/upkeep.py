"""Upkeep of `Registry`: `verify_artifacts` and `gc` (issue #6). MLflow has neither: its
artifact store is trusted and never collected; here the manifests say what every byte must
hash to, and what no manifest references can go."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from modelreg import uris
from modelreg.errors import InvalidParameter
from modelreg.registry.core import RegistryCore

if TYPE_CHECKING:
    from modelreg.model import ModelVersion
    from modelreg.upkeep.gc import GcOptions
    from modelreg.upkeep.report import GcReport, VerifyReport


class UpkeepMixin(RegistryCore):
    def verify_artifacts(self, uri: str | None = None) -> VerifyReport:
        """Re-hash the files of the version `uri` names (every live version when None)
        against its manifest: every missing or changed file is a finding."""
        from modelreg.upkeep.verify import verify_versions

        snap = self.snapshot()
        if uri is not None:
            versions: list[ModelVersion] = [uris.resolve(snap, uri)]
        else:
            versions = [mv for name in snap.model_names() for mv in snap.versions(name)]
        return verify_versions(self.store(), versions,
                               locate=lambda mv: self.artifact_location(mv) or "")

    def gc(self, options: GcOptions | None = None, *,
           also: Sequence[RegistryCore] = ()) -> GcReport:
        """Delete from the store what no registry references any more (DESIGN §2): this one
        and `also`, the other registries that share its store (gc refuses a store claimed
        by registries it was not shown)."""
        from modelreg.upkeep.gc import GcOptions, Source, collect_garbage

        if self._at is not None or any(r._at is not None for r in also):
            raise InvalidParameter("gc reads every ref and the history behind them, not a "
                                   "view as of a revision: drop --at")
        store = self.store()
        for other in also:
            if other.store().url != store.url:
                raise InvalidParameter(f"the registry at {other.location.path} keeps its "
                                       f"artifacts in {other.store().url}, not {store.url}")
        sources = [Source(r.config.id, r.repo, r.prefix) for r in (self, *also)]
        return collect_garbage(store, sources, options or GcOptions())
