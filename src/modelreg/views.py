"""What the CLI shows: JSON shapes (`TypedDict`s) and short text renderings of registry values.

Pure: values in, dicts or strings out (STYLE §5). The JSON shapes are a contract for scripts
(`modelreg resolve --json` in a deployment job): keys keep their meaning, every key is always
present (null or empty when not relevant), and they come in the order declared here.
`location` is the absolute URL of a version's files; computing it needs the store, so the
caller passes it in (lists leave it null, `resolve` and `versions show` fill it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from modelreg.model import Artifacts, ModelVersion, RegisteredModel

if TYPE_CHECKING:  # annotations only: a resolve or a write never loads the problem module
    from modelreg.problems import Problem


class ArtifactsJson(TypedDict):
    """mode: `stored`, `reference` or `unverified`; uri: `sha256/<hex>` in the registry's store
    (stored) or the referenced URI; digest: `sha256:<hex>` of the whole tree ('' if unverified)."""

    mode: str
    uri: str
    location: str | None
    digest: str
    size: int
    file_count: int


class CopiedFromJson(TypedDict):
    uri: str
    registry_commit: str


class LineageJson(TypedDict):
    code_commit: str
    data: list[str]
    copied_from: CopiedFromJson | None


class VersionJson(TypedDict):
    """A model version. `stage` is MLflow's: "None", "Staging", "Production", "Archived"."""

    name: str
    version: int
    uri: str
    stage: str
    aliases: list[str]
    description: str
    source: str
    run_id: str
    run_link: str
    artifacts: ArtifactsJson | None
    tags: dict[str, str]
    metrics: dict[str, float]
    model_type: str
    flavors: list[str]
    signature: dict[str, Any] | None
    lineage: LineageJson
    created_at: str
    created_by: str
    updated_at: str


class LatestJson(TypedDict):
    """One entry of a model's `latest_versions`: the latest version in a stage."""

    version: int
    stage: str
    uri: str


class ModelJson(TypedDict):
    name: str
    description: str
    tags: dict[str, str]
    last_version: int
    aliases: dict[str, int]
    latest_versions: list[LatestJson]
    created_at: str
    created_by: str


class ModelPageJson(TypedDict):
    """`models list --json`, as MLflow's REST API names it; pass the token to `--page-token`."""

    registered_models: list[ModelJson]
    next_page_token: str | None


class VersionPageJson(TypedDict):
    """`search --json`, as MLflow's REST API names it."""

    model_versions: list[VersionJson]
    next_page_token: str | None


class DownloadJson(TypedDict):
    path: str
    name: str
    version: int
    uri: str
    digest: str


class ProblemJson(TypedDict):
    path: str
    line: int | None
    json_path: str
    code: str
    severity: str
    message: str


class ValidationJson(TypedDict):
    valid: bool
    errors: int
    warnings: int
    problems: list[ProblemJson]


class ApplyJson(TypedDict):
    """`apply --json`: the commit made, and each step's result (a version, a model, or null)."""

    commit: str | None
    results: list[VersionJson | ModelJson | None]


# ---------------------------------------------------------------- JSON


def artifacts_json(art: Artifacts, location: str | None = None) -> ArtifactsJson:
    return ArtifactsJson(
        mode=art.mode.value, uri=art.uri, location=location, digest=art.digest, size=art.size,
        file_count=art.file_count,
    )


def version_json(mv: ModelVersion, location: str | None = None) -> VersionJson:
    lineage = mv.lineage
    copied = lineage.copied_from
    return VersionJson(
        name=mv.name, version=mv.version, uri=mv.uri, stage=mv.current_stage.value,
        aliases=list(mv.aliases), description=mv.description, source=mv.source,
        run_id=mv.run_id, run_link=mv.run_link,
        artifacts=artifacts_json(mv.artifacts, location) if mv.artifacts else None,
        tags=dict(mv.tags), metrics=dict(mv.metrics), model_type=mv.model_type,
        flavors=list(mv.flavors), signature=dict(mv.signature) if mv.signature else None,
        lineage=LineageJson(
            code_commit=lineage.code_commit, data=list(lineage.data),
            copied_from=CopiedFromJson(uri=copied.uri, registry_commit=copied.registry_commit)
            if copied else None,
        ),
        created_at=mv.created_at, created_by=mv.created_by, updated_at=mv.updated_at,
    )


def model_json(model: RegisteredModel) -> ModelJson:
    return ModelJson(
        name=model.name, description=model.description, tags=dict(model.tags),
        last_version=model.last_version, aliases=dict(sorted(model.aliases.items())),
        latest_versions=[
            LatestJson(version=mv.version, stage=mv.current_stage.value, uri=mv.uri)
            for mv in model.latest_versions
        ],
        created_at=model.created_at, created_by=model.created_by,
    )


def model_page_json(models: Iterable[RegisteredModel], token: str | None) -> ModelPageJson:
    return ModelPageJson(registered_models=[model_json(m) for m in models], next_page_token=token)


def version_page_json(versions: Iterable[ModelVersion], token: str | None) -> VersionPageJson:
    return VersionPageJson(
        model_versions=[version_json(v) for v in versions], next_page_token=token
    )


def problem_json(problem: Problem) -> ProblemJson:
    return ProblemJson(
        path=problem.path, line=problem.line, json_path=problem.json_path, code=problem.code,
        severity=problem.severity, message=problem.message,
    )


def validation_json(problems: list[Problem]) -> ValidationJson:
    errors = sum(1 for p in problems if p.severity == "error")
    return ValidationJson(
        valid=errors == 0, errors=errors, warnings=sum(p.severity == "warning" for p in problems),
        problems=[problem_json(p) for p in problems],
    )


def result_json(value: Any) -> VersionJson | ModelJson | None:
    """What a write returned, as JSON: a version, a model, or null (alias set, tag, delete)."""
    if isinstance(value, ModelVersion):
        return version_json(value)
    if isinstance(value, RegisteredModel):
        return model_json(value)
    return None


# ---------------------------------------------------------------- text


def size_text(size: int) -> str:
    """`512 B`, `1.5 KiB`, `64.0 MiB`: binary units, as `ls -lh` and the progress bar."""
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def _first_line(text: str, limit: int = 60) -> str:
    first = (text.strip().splitlines() or [""])[0]
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _pairs(mapping: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(mapping.items()))


def version_line(mv: ModelVersion, location: str | None = None) -> str:
    """`models:/fraud/2  stage=Production  aliases=champion  file:///…/sha256/ab…`."""
    parts = [mv.uri, f"stage={mv.current_stage.value}", f"aliases={','.join(mv.aliases) or '-'}"]
    if location:
        parts.append(location)
    return "  ".join(parts)


def version_row(mv: ModelVersion) -> str:
    """A version in a list: its line, metrics and the first line of its description."""
    parts = [version_line(mv)]
    if mv.metrics:
        parts.append(" ".join(f"{k}={v}" for k, v in sorted(mv.metrics.items())))
    if mv.description:
        parts.append(repr(_first_line(mv.description)))
    return "  ".join(parts)


def artifacts_line(art: Artifacts, location: str | None = None) -> str:
    """`stored sha256:1f2e…  3 files, 1.2 MiB  <location>`."""
    files = f"{art.file_count} file{'' if art.file_count == 1 else 's'}, {size_text(art.size)}"
    parts = [f"{art.mode.value} {art.digest or '(digest unknown)'}", files]
    if location:
        parts.append(location)
    return "  ".join(parts)


def version_details(mv: ModelVersion, location: str | None = None) -> str:
    """`versions show`: the version's line, then one indented line per field that is set."""
    lines = [version_line(mv)]
    fields = [
        ("description", _first_line(mv.description, 100)),
        ("artifacts", artifacts_line(mv.artifacts, location) if mv.artifacts else ""),
        ("source", mv.source),
        ("run", " ".join(x for x in (mv.run_id, mv.run_link) if x)),
        ("model type", mv.model_type if mv.model_type != "custom" else ""),
        ("flavors", ", ".join(mv.flavors)),
        ("metrics", _pairs(mv.metrics)),
        ("tags", _pairs(mv.tags)),
        ("code commit", mv.lineage.code_commit),
        ("data", ", ".join(mv.lineage.data)),
        ("copied from", mv.lineage.copied_from.uri if mv.lineage.copied_from else ""),
        ("created", f"{mv.created_at} by {mv.created_by}" if mv.created_at else ""),
    ]
    lines += [f"  {label}: {value}" for label, value in fields if value]
    return "\n".join(lines)


def model_line(model: RegisteredModel) -> str:
    """`fraud  last_version=3  aliases=champion=2  'First try'`."""
    aliases = ",".join(f"{a}={v}" for a, v in sorted(model.aliases.items())) or "-"
    parts = [model.name, f"last_version={model.last_version}", f"aliases={aliases}"]
    if model.description:
        parts.append(repr(_first_line(model.description)))
    return "  ".join(parts)


def model_details(model: RegisteredModel) -> str:
    """`models show`: the model's line, then its description, tags, latest versions."""
    latest = ", ".join(f"{mv.uri} ({mv.current_stage.value})" for mv in model.latest_versions)
    fields = [
        ("description", _first_line(model.description, 100)),
        ("tags", _pairs(model.tags)),
        ("latest", latest),
        ("created", f"{model.created_at} by {model.created_by}" if model.created_at else ""),
    ]
    return "\n".join([model_line(model)] + [f"  {k}: {v}" for k, v in fields if v])


def page_footer(token: str | None) -> str:
    """The line after a page of results that has more: how to ask for the next one."""
    return f"(more results: --page-token {token})" if token else ""


def problems_text(problems: list[Problem]) -> str:
    """`models/fraud/model.yaml:3: $.name: ...` per problem, then how many there are."""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = sum(p.severity == "warning" for p in problems)
    lines = [str(p) + (" (warning)" if p.severity == "warning" else "") for p in problems]
    counts = f"{errors} error{'' if errors == 1 else 's'}"
    if warnings:
        counts += f", {warnings} warning{'' if warnings == 1 else 's'}"
    noun = "problem" if len(problems) == 1 else "problems"
    lines.append(f"{len(problems)} {noun} ({counts})")
    return "\n".join(lines)


def result_line(value: Any) -> str:
    """A write's result in a few words (each step of `apply`)."""
    if isinstance(value, ModelVersion):
        return version_line(value)
    if isinstance(value, RegisteredModel):
        return f"registered model {value.name}"
    return "done"
