"""The shape of the code, kept by tests: the domain never touches the world (STYLE §1), and the
repository stays lint- and type-clean (STYLE §15).

The import rule, exactly. In a domain module:
- `WORLD` (Git, fsspec, click and our own modules that wrap them) is never imported when the
  code runs: not at module level, not inside a function.
- `FACADES` (the `Registry`, the writer and the index, which open Git and the store) are never
  imported at module level; inside a function only `applyfile` may, since it drives a `Registry`.
- Under `if TYPE_CHECKING:` (annotations only, nothing loaded) only the pairs listed in
  `TYPE_ONLY` may name either group: the objects those modules are handed as parameters.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from helpers import init_registry, make_model
from modelreg import RegisterOptions

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "modelreg"

DOMAIN = (
    "model.py", "names.py", "layout.py", "manifest.py", "yamlio.py", "snapshot.py", "change.py",
    "uris.py", "digest.py", "ops", "search", "diff", "render.py", "history.py", "views.py",
    "yamlfast", "yamlemit.py", "schemafast.py", "schemaproblems.py", "schemacode",
    "validate.py", "problems.py", "schema.py", "applyfile", "mlmodel.py", "github_files.py",
    "policy", "reporters.py", "check/__init__.py", "check/codes.py", "check/view.py",
    "check/scope.py", "check/rules.py", "check/artifacts.py", "check/judging.py",
    "replay.py", "forge/body.py", "forge/urls.py", "faults.py", "secretscan.py",
    "upkeep/__init__.py", "upkeep/plan.py", "upkeep/report.py",
)
WORLD = (
    "pygit2", "git", "fsspec", "click", "s3fs",
    "modelreg.gitrepo", "modelreg.store", "modelreg.cli",
    "modelreg.remote",  # runs `git` for cached clones of remote registries (issue #6)
)
FACADES = ("modelreg.registry", "modelreg.writer", "modelreg.index")
IN_FUNCTIONS = {"applyfile": ("modelreg.registry",)}  # top-level folder -> facades it may call
TYPE_ONLY = {
    ("history.py", "modelreg.gitrepo"),  # `log` walks the GitRepo it is given
    ("applyfile/run.py", "modelreg.registry"),  # steps run on the Registry they are given
}


class Import(NamedTuple):
    module: str  # absolute dotted name: `from modelreg import store` gives `modelreg.store`
    line: int
    where: str  # "module", "function" or "type-only"


def domain_files() -> list[Path]:
    files: list[Path] = []
    for entry in DOMAIN:
        path = PACKAGE / entry
        assert path.exists(), f"{entry} is gone: update DOMAIN in {Path(__file__).name}"
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def imports_of(source: str, module: str) -> Iterator[Import]:
    """Every import in `source`, the text of `module` (`a.b.__init__` for a package)."""
    yield from _walk(ast.parse(source), module.split("."), "module")


def _walk(node: ast.AST, package: list[str], where: str) -> Iterator[Import]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _visit(stmt, package, "type-only")
            for stmt in child.orelse:
                yield from _visit(stmt, package, where)
        else:
            yield from _visit(child, package, where)


def _visit(node: ast.AST, package: list[str], where: str) -> Iterator[Import]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        where = "type-only" if where == "type-only" else "function"
    yield from _names(node, package, where)
    yield from _walk(node, package, where)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _names(node: ast.AST, package: list[str], where: str) -> Iterator[Import]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield Import(alias.name, node.lineno, where)
    elif isinstance(node, ast.ImportFrom):
        base = package[: len(package) - node.level] if node.level else []
        parent = ".".join([*base, *([node.module] if node.module else [])])
        for alias in node.names:
            yield Import(parent, node.lineno, where)
            yield Import(f"{parent}.{alias.name}", node.lineno, where)  # may name a module
    elif isinstance(node, ast.Call) and (target := _dynamic_target(node)):
        yield Import(target, node.lineno, where)


def _dynamic_target(call: ast.Call) -> str:
    """The module of `importlib.import_module("x")` or `__import__("x")`, else ""."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    first = call.args[0] if call.args else None
    if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
        return str(first.value)
    return ""


def _within(module: str, group: tuple[str, ...]) -> str | None:
    return next((g for g in group if module == g or module.startswith(g + ".")), None)


def violations(rel: str, source: str) -> list[str]:
    """What `rel` (a path under src/modelreg) imports that the rule above forbids."""
    module = "modelreg." + rel.removesuffix(".py").replace("/", ".")
    allowed_in_functions = IN_FUNCTIONS.get(rel.split("/")[0], ())
    found = []
    for imp in imports_of(source, module):
        target = _within(imp.module, WORLD) or _within(imp.module, FACADES)
        if target is None:
            continue
        if imp.where == "type-only" and (rel, target) in TYPE_ONLY:
            continue
        if imp.where == "function" and target in allowed_in_functions:
            continue
        found.append(f"{rel}:{imp.line}: imports {target} ({imp.where})")
    return sorted(set(found))


def test_domain_modules_do_not_import_the_world() -> None:
    found = []
    for path in domain_files():
        found.extend(violations(path.relative_to(PACKAGE).as_posix(), path.read_text("utf-8")))
    assert found == [], "\n".join(["domain modules must not touch Git, fsspec or click:", *found])


@pytest.mark.parametrize(
    ("rel", "source"),
    [
        ("diff/engine.py", "import pygit2"),
        ("diff/engine.py", "import git.repo as g"),
        ("ops/models.py", "from fsspec.implementations.memory import MemoryFileSystem"),
        ("views.py", "import click"),
        ("digest.py", "try:\n    import s3fs\nexcept ImportError:\n    s3fs = None"),
        ("history.py", "from modelreg import store"),
        ("search/order.py", "from .. import gitrepo"),
        ("ops/_common.py", "from ..cli.errors import main"),
        ("names.py", "def f():\n    import pygit2"),
        ("model.py", "class A:\n    def f(self):\n        from modelreg.store import Store"),
        ("applyfile/run.py", "def f():\n    from modelreg.gitrepo import GitRepo"),
        ("applyfile/run.py", "from modelreg.registry import Registry"),
        ("uris.py", "def f():\n    from modelreg.registry import Registry"),
        ("render.py", "import modelreg.writer"),
        ("validate.py", "import importlib\nimportlib.import_module('fsspec')"),
        ("render.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pygit2"),
        ("history.py", "if TYPE_CHECKING:\n    import modelreg.store"),
        ("history.py", "if TYPE_CHECKING:\n    pass\nelse:\n    import modelreg.gitrepo"),
    ],
)
def test_the_import_rule_catches(rel: str, source: str) -> None:
    assert violations(rel, source), f"not caught in {rel}: {source!r}"


@pytest.mark.parametrize(
    ("rel", "source"),
    [
        ("applyfile/run.py", "def f():\n    from modelreg.registry import RegisterOptions"),
        ("history.py", "if TYPE_CHECKING:\n    from modelreg.gitrepo import GitRepo"),
        ("diff/engine.py", "from modelreg.snapshot import Snapshot\nimport gitdb_like_name"),
        ("ops/models.py", "from modelreg import layout, manifest\nfrom . import _common"),
    ],
)
def test_the_import_rule_allows(rel: str, source: str) -> None:
    assert violations(rel, source) == []


def test_importing_every_domain_module_loads_no_world() -> None:
    """Catches what the `ast` rule cannot: an allowed module that pulls in a forbidden one."""
    modules = sorted(
        "modelreg." + p.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
        .removesuffix(".__init__")
        for p in domain_files()
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n    importlib.import_module(name)\n"
        f"groups = {WORLD + FACADES!r}\n"
        "print(sorted(m for m in sys.modules if any(m == g or m.startswith(g + '.')"
        " for g in groups)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- what a command's process loads

# Issue #5: a `modelreg` process is mostly start-up (a resolve's own work is ~2 ms of ~90), so
# each command loads only what it runs (STYLE §12). The names are packages costing 10-70 ms to
# import (pygit2 ~40, jsonschema ~45, fsspec ~40, filelock ~10), subsystems of ours a command
# does not use, and the few cheap modules a read once loaded for nothing (hashlib ~2.5 ms).
# Reads parse modelreg's YAML with `yamlfast`, writes dump it with `yamlemit`: `yaml` (10-15
# ms) is imported only for what they give up on.
NEVER_READ = ("pygit2", "fsspec", "jsonschema", "referencing", "attrs", "tqdm", "filelock")
WRITE_ONLY = ("modelreg.writer", "modelreg.change", "modelreg.ops", "modelreg.schema",
              "modelreg.landing", "modelreg.policy", "modelreg.diff", "modelreg.history")
RESOLVE_SKIPS = (*NEVER_READ, *WRITE_ONLY, "modelreg.index", "modelreg.search",
                 "modelreg.problems", "modelreg.cli.progress", "hashlib", "sqlite3", "yaml")
TEXT_SKIPS = (*RESOLVE_SKIPS, "json")  # ~1.5 ms: only `--json` and escaped strings need it
SEARCH_SKIPS = (*NEVER_READ, *WRITE_ONLY, "yaml")
# A direct write commits without pygit2 (`gitrepo.commits`, `refwrite`) and checks its
# manifests with the shipped compiled checks (jsonschema only words a refusal); it never
# pushes or proposes (`landing`), judges no policy the registry does not have, reads no index.
WRITE_SKIPS = ("fsspec", "tqdm", "modelreg.landing", "modelreg.policy", "modelreg.diff",
               "modelreg.history", "modelreg.index", "modelreg.search", "jsonschema",
               "referencing", "fastjsonschema", "pygit2", "yaml")
STARTUP_CASES = [
    (["--help"], SEARCH_SKIPS),  # click asks every command module for its help line
    (["--version"], TEXT_SKIPS),
    (["resolve", "models:/fraud@champion"], TEXT_SKIPS),
    (["resolve", "models:/fraud/1", "--json"], RESOLVE_SKIPS),
    (["versions", "show", "fraud", "1"], TEXT_SKIPS),
    (["search", "tags.team = 'risk'"], SEARCH_SKIPS),
    (["models", "list", "--filter", "name LIKE 'fr%'"], SEARCH_SKIPS),
    (["alias", "set", "fraud", "challenger", "1"], WRITE_SKIPS),
    (["versions", "tag", "fraud", "1", "note", "checked"], WRITE_SKIPS),
    # a local reference is hashed with plain reads: fsspec is for stores and remote sources
    (["register", "fraud", "{model}", "--reference", "--tag", "k=v"], WRITE_SKIPS),
]


def loaded_by(argv: list[str], cwd: Path, watched: tuple[str, ...]) -> list[str]:
    """The watched modules (or their submodules) a real `modelreg ARGV` process had loaded
    when it ended; the command itself must succeed."""
    code = (  # `json` is imported after the look, so a check may watch it too
        "import sys\nfrom modelreg.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit as exc:\n    code = exc.code\n"
        f"watched = {watched!r}\n"
        "found = sorted({w for w in watched for m in list(sys.modules)"
        " if m == w or m.startswith(w + '.')})\n"
        "import json\nprint(json.dumps([code, found]), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)
    code_, found = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code_ in (0, None), f"modelreg {' '.join(argv)} failed: {proc.stderr}"
    return list(found)


@pytest.fixture
def small_registry(tmp_path: Path, repo: Path) -> Path:
    """A registry folder with `fraud` version 1 (tag team=risk, alias champion) whose search
    index is warm, as a second search finds it."""
    registry = init_registry(repo)
    registry.register("fraud", make_model(tmp_path / "model"),
                      options=RegisterOptions(tags={"team": "risk"}))
    registry.set_registered_model_alias("fraud", "champion", 1)
    assert len(registry.search_model_versions("tags.team = 'risk'")) == 1
    return registry.location.path


@pytest.mark.parametrize(("argv", "skips"), STARTUP_CASES,
                         ids=[" ".join(argv) for argv, _ in STARTUP_CASES])
def test_a_command_process_loads_only_what_it_runs(
    argv: list[str], skips: tuple[str, ...], small_registry: Path, tmp_path: Path
) -> None:
    argv = [a.format(model=(tmp_path / "model").as_uri()) for a in argv]
    assert loaded_by(argv, small_registry, skips) == []


def test_the_startup_check_sees_a_loaded_module(small_registry: Path) -> None:
    """The check above can fail: a write does load the writer and its operation."""
    watched = ("modelreg.change", "modelreg.ops", "modelreg.writer")
    assert loaded_by(["alias", "set", "fraud", "challenger", "1"], small_registry,
                     watched) == sorted(watched)


# ---------------------------------------------------------------- the tools stay green


def _tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return subprocess.run([sys.executable, "-m", name, *args], cwd=ROOT,
                          capture_output=True, text=True)


def test_ruff_passes() -> None:
    ran = _tool("ruff", "check", "--no-cache", "src", "tests")  # --no-cache: no .ruff_cache
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_mypy_passes(tmp_path: Path) -> None:
    ran = _tool("mypy", "--cache-dir", str(tmp_path / "mypy-cache"), "src")
    assert ran.returncode == 0, ran.stdout + ran.stderr
