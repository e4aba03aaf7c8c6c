"""Where a finding points: the line of a JSON path inside a manifest of a snapshot.

Shared by `policy` and `check`, so an annotation lands on the line a reviewer must look at
(`champion: 7` in `aliases.yaml`), not on the top of the file.
"""

from __future__ import annotations

from modelreg import yamlio
from modelreg.errors import ModelregError
from modelreg.snapshot import Files


class Lines:
    """Line numbers of manifests in one view, each file loaded once."""

    def __init__(self, files: Files) -> None:
        self.files = files
        self._loaded: dict[str, dict[yamlio.JsonPath, int]] = {}

    def of(self, path: str, at: yamlio.JsonPath = ()) -> int | None:
        """The line of the deepest part of `at` found in the file (None: no file, or no
        line that can be told)."""
        lines = self._lines(path)
        for depth in range(len(at), -1, -1):
            line = lines.get(at[:depth])
            if line is not None:
                return line
        return None

    def _lines(self, path: str) -> dict[yamlio.JsonPath, int]:
        if path not in self._loaded:
            try:
                data = self.files.read(path)
                self._loaded[path] = yamlio.load(data).lines if data is not None else {}
            except ModelregError:
                self._loaded[path] = {}
        return self._loaded[path]
