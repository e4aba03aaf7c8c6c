"""modelreg's values -> MLflow's registry entities, as MLflow's SQL store builds them.

- Versions are ints, status is READY (only complete versions are ever committed, DESIGN §1),
  `current_stage` is the stage's name (`None` for no stage), `user_id` is `created_by`.
- Times are milliseconds since the epoch, from the manifests' RFC 3339 strings. A version's
  last update is its `updated_at` (description or tags edited), else its creation; a model's
  is its creation (no file carries a model's update time, DESIGN §1).
- Empty strings (no description, no run) are None, as the SQL store's NULL columns are.
- modelreg's own facts (artifacts and digests, metrics, lineage) stay in modelreg: MLflow's
  `ModelVersion.metrics` means a logged model's metrics, which the SQL store does not fill
  either, and neither does it keep `model_id`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from modelreg import model as mr
from modelreg.mlflow_plugin import compat


def millis(stamp: str) -> int | None:
    """`2026-11-24T06:23:37.123Z` -> 1795501417123; None for an empty or unreadable time."""
    if not stamp:
        return None
    try:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def model_version(mv: mr.ModelVersion) -> compat.ModelVersion:
    """A live version as MLflow's `ModelVersion`."""
    created = millis(mv.created_at)
    return compat.ModelVersion(
        name=mv.name,
        version=mv.version,  # type: ignore[arg-type]  # an int, as the SQL store gives it
        creation_timestamp=created,  # type: ignore[arg-type]
        last_updated_timestamp=millis(mv.updated_at) or created,
        description=mv.description or None,
        user_id=mv.created_by or None,
        current_stage=mv.current_stage.value,
        source=mv.source or None,
        run_id=mv.run_id or None,
        tags=version_tags(mv.tags),
        run_link=mv.run_link or None,
        aliases=list(mv.aliases),
    )


def registered_model(
    rm: mr.RegisteredModel, latest: Iterable[mr.ModelVersion] | None = None
) -> compat.RegisteredModel:
    """A registered model as MLflow's `RegisteredModel`; `latest` are its latest version per
    stage (`rm.latest_versions` when not given)."""
    created = millis(rm.created_at)
    versions = rm.latest_versions if latest is None else tuple(latest)
    return compat.RegisteredModel(
        name=rm.name,
        creation_timestamp=created,
        last_updated_timestamp=created,
        description=rm.description or None,
        latest_versions=[model_version(mv) for mv in versions],
        tags=[compat.RegisteredModelTag(k, v) for k, v in rm.tags.items()],
        aliases=[compat.RegisteredModelAlias(a, v) for a, v in sorted(rm.aliases.items())],
    )


def version_tags(tags: Mapping[str, str]) -> list[compat.ModelVersionTag]:
    return [compat.ModelVersionTag(k, v) for k, v in tags.items()]


def tag_dict(tags: Iterable[object] | Mapping[str, str] | None) -> dict[str, str]:
    """MLflow's tag lists (`RegisteredModelTag`, `ModelVersionTag`) or a mapping -> a dict.
    A tag given twice keeps its last value, as the SQL store does."""
    if tags is None:
        return {}
    if isinstance(tags, Mapping):
        return {str(k): v for k, v in tags.items()}
    out: dict[str, str] = {}
    for tag in tags:
        value: Any = getattr(tag, "value", None)
        out[str(getattr(tag, "key", None))] = value
    return out


def is_prompt(tags: Mapping[str, str]) -> bool:
    """Prompts are models and versions tagged `mlflow.prompt.is_prompt = true`."""
    return str(tags.get(compat.IS_PROMPT_TAG_KEY, "false")).lower() == "true"
