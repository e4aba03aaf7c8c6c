"""`modelreg validate`: every problem of a whole registry folder, in one run.

It judges any `snapshot.Files` view: a Git tree at a revision, a `MemoryFiles`, or the work
tree with its uncommitted edits (`gitrepo.WorktreeFiles`). Each manifest is checked against its
schema (`modelreg.schema`), then the rules that span files: names against folders, version
numbers against file names, aliases and stages against the versions that exist, `last_version`
against the highest version file, names that differ only by case, and files that do not belong.
A file that cannot be read becomes a problem too; nothing stops the run early (STYLE §10).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from modelreg import layout, problems, schema, schemafast, secretscan, yamlio
from modelreg.errors import ManifestError
from modelreg.problems import Problem
from modelreg.snapshot import Files

_MODEL_ENTRIES = (layout.MODEL_FILE, layout.ALIASES_FILE, layout.VERSIONS_DIR)


class _Document(NamedTuple):
    path: str
    data: dict[str, Any]
    lines: dict[yamlio.JsonPath, int]

    def number(self, key: str) -> int | None:
        value = self.data.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) else None


class _Named(NamedTuple):
    name: str
    document: _Document


def validate_registry(files: Files) -> list[Problem]:
    """Every problem in the registry folder `files` shows, sorted by file and line."""
    run = _Run(files)
    if layout.REGISTRY_FILE in run.listdir(""):
        run.document("registry", layout.REGISTRY_FILE)
    else:
        run.add(layout.REGISTRY_FILE, problems.MISSING_REGISTRY_FILE,
                "no registry.yaml: this folder is not a registry (`modelreg init` makes one)")
    if run.read(layout.MODELS_DIR) is not None:
        run.unknown(layout.MODELS_DIR, "a file where the models folder belongs")
    named = [m for d in run.listdir(layout.MODELS_DIR) if (m := run.model(d)) is not None]
    run.case_collisions(named)
    return problems.sort(run.found)


class _Run:
    """One validation: the view, and the problems found so far."""

    def __init__(self, files: Files) -> None:
        self.files = files
        self.found: list[Problem] = []
        self.refused: set[str] = set()
        self.judged: dict[str, int] = {}  # documents by kind: a large run gets the pre-check

    # -- reading, with refusals turned into problems --------------------------------------

    def add(self, path: str, code: str, message: str, **where: Any) -> None:
        self.found.append(Problem(path=path, code=code, message=message, **where))

    def at(self, doc: _Document, at: yamlio.JsonPath, code: str, message: str) -> None:
        line = doc.lines.get(at)
        self.add(doc.path, code, message, line=line, json_path=problems.json_path(at))

    def refuse(self, path: str, exc: ManifestError) -> None:
        where = exc.path or path  # the link may be a folder above `path`
        first = where not in self.refused
        self.refused.update((path, where))
        if first:
            self.add(where, problems.UNREADABLE, exc.message.removeprefix(f"{where}: "))

    def read(self, path: str) -> bytes | None:
        try:
            return self.files.read(path)
        except ManifestError as exc:
            self.refuse(path, exc)
            return None

    def listdir(self, path: str) -> list[str]:
        if path in self.refused:
            return []
        try:
            return self.files.listdir(path)
        except ManifestError as exc:
            self.refuse(path, exc)
            return []

    def unknown(self, path: str, message: str) -> None:
        hidden = path.rsplit("/", 1)[-1].startswith(".")
        self.add(path, problems.UNKNOWN_FILE, message, severity="warning" if hidden else "error")

    def document(self, kind: str, path: str) -> _Document | None:
        """The loaded mapping of a manifest, its problems recorded; None when unusable."""
        data = self.read(path)
        if data is None:
            if path not in self.refused:
                self.unknown(path, "a folder where a manifest file belongs")
            return None
        judged = self.judged[kind] = self.judged.get(kind, 0) + 1
        precheck = judged > schemafast.PRECHECK_AFTER
        loaded, found = schema.load_document(kind, data, path=path, precheck=precheck)
        self.found.extend(found)
        self.found.extend(secretscan.manifest_problems(path, data, loaded))  # issue #6
        if loaded is None or not isinstance(loaded.data, dict):
            return None
        return _Document(path, loaded.data, loaded.lines)

    # -- one model folder -------------------------------------------------------------------

    def model(self, dirname: str) -> _Named | None:
        folder = f"{layout.MODELS_DIR}/{dirname}"
        if self.read(folder) is not None:
            self.unknown(folder, "a file among the model folders (each model is a folder)")
            return None
        entries = self.listdir(folder)
        if folder in self.refused:
            return None
        for entry in entries:
            if entry not in _MODEL_ENTRIES:
                self.unknown(f"{folder}/{entry}", _NOT_IN_MODEL)
        versions = self.versions(folder, dirname)
        if layout.ALIASES_FILE in entries:
            aliases = self.document("aliases", f"{folder}/{layout.ALIASES_FILE}")
            if aliases is not None:
                self.alias_targets(aliases, versions)
                self.stage_targets(aliases, versions)
        if layout.MODEL_FILE not in entries:
            self.add(folder, problems.MISSING_MODEL_FILE,
                     f"a model folder without {layout.MODEL_FILE}: restore it or remove the folder")
            return None
        model = self.document("model", f"{folder}/{layout.MODEL_FILE}")
        if model is None:
            return None
        self.last_version(model, versions)
        name = self.name_in_folder(model, dirname)
        return _Named(name, model) if name is not None else None

    def versions(self, folder: str, dirname: str) -> dict[int, bool]:
        """Version number -> live (False for a tombstone), for every version file."""
        vdir = f"{folder}/{layout.VERSIONS_DIR}"
        if self.read(vdir) is not None:
            self.unknown(vdir, "a file where the versions folder belongs")
            return {}
        out: dict[int, bool] = {}
        for entry in self.listdir(vdir):
            number = layout.version_number(entry)
            if number is None:
                self.unknown(f"{vdir}/{entry}", "version files are named <number>.yaml (`7.yaml`)")
                continue
            doc = self.document("model-version", f"{vdir}/{entry}")
            out[number] = doc is None or not isinstance(doc.data.get("deleted"), dict)
            if doc is not None:
                self.version_number_matches(doc, number)
                self.name_in_folder(doc, dirname)
        return out

    # -- rules across files -----------------------------------------------------------------

    def version_number_matches(self, doc: _Document, number: int) -> None:
        version = doc.number("version")
        if version is not None and version != number:
            self.at(doc, ("version",), problems.FILE_NAME_MISMATCH,
                    f"this file is versions/{number}.yaml but says version {version}")

    def name_in_folder(self, doc: _Document, dirname: str) -> str | None:
        name = doc.text("name")
        if name is None:
            return None
        expected = layout.model_dir(name)
        if expected != dirname:
            self.at(doc, ("name",), problems.NAME_MISMATCH,
                    f"name {name!r} belongs in models/{expected}/, not models/{dirname}/")
        return name

    def last_version(self, model: _Document, versions: dict[int, bool]) -> None:
        last = model.number("last_version")
        if last is not None and versions and last < max(versions):
            self.at(model, ("last_version",), problems.LAST_VERSION_TOO_LOW,
                    f"last_version is {last} but versions/{max(versions)}.yaml exists "
                    f"(it must be at least {max(versions)}: numbers are never reused)")

    def alias_targets(self, doc: _Document, versions: dict[int, bool]) -> None:
        aliases = doc.data.get("aliases")
        for alias, version in aliases.items() if isinstance(aliases, dict) else ():
            gone = _gone(version, versions)
            if gone:
                self.at(doc, ("aliases", alias), problems.ALIAS_TARGET_MISSING,
                        f"alias {alias!r} points at version {version}, which {gone}")

    def stage_targets(self, doc: _Document, versions: dict[int, bool]) -> None:
        staged: dict[int, str] = {}
        for stage, index, version in _stage_entries(doc.data.get("stages")):
            at = ("stages", stage, index)
            gone = _gone(version, versions)
            if gone:
                self.at(doc, at, problems.STAGE_TARGET_MISSING,
                        f"stage {stage} lists version {version}, which {gone}")
            first = staged.setdefault(version, stage)
            if first != stage:
                self.at(doc, at, problems.VERSION_IN_TWO_STAGES,
                        f"version {version} is in stage {first} and in stage {stage}")

    def case_collisions(self, named: list[_Named]) -> None:
        by_folded: dict[str, list[_Named]] = {}
        for item in named:
            by_folded.setdefault(item.name.casefold(), []).append(item)
        for group in by_folded.values():
            for item in group:
                others = sorted(repr(o.name) for o in group if o.name != item.name)
                if others:
                    self.at(item.document, ("name",), problems.CASE_COLLISION,
                            f"model {item.name!r} differs only by case from {', '.join(others)}")


_NOT_IN_MODEL = (
    "not part of a model folder (it holds model.yaml, aliases.yaml and versions/<number>.yaml)"
)


def _gone(version: Any, versions: dict[int, bool]) -> str:
    """Why `version` cannot be pointed at ('' when it can, or when it is not a number)."""
    if not isinstance(version, int) or isinstance(version, bool):
        return ""  # the schema reports it
    if version not in versions:
        return "does not exist"
    return "" if versions[version] else "is deleted"


def _stage_entries(stages: Any) -> Iterator[tuple[str, int, int]]:
    if not isinstance(stages, dict):
        return
    for stage, listed in stages.items():
        for index, version in enumerate(listed if isinstance(listed, list) else ()):
            if isinstance(version, int) and not isinstance(version, bool):
                yield stage, index, version
