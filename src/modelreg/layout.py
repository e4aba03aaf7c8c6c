"""Where things live inside a registry folder (DESIGN §1).

All paths here are `/`-separated and relative to the registry folder; `gitrepo` prefixes the
registry's place in the repository. Nothing here touches the disk.
"""

from __future__ import annotations

import re

REGISTRY_FILE = "registry.yaml"
MODELS_DIR = "models"
MODEL_FILE = "model.yaml"
ALIASES_FILE = "aliases.yaml"
VERSIONS_DIR = "versions"

_SAFE = re.compile(r"[A-Za-z0-9._-]")
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)
MAX_DIR_BYTES = 199
_VERSION_FILE_RE = re.compile(r"^([1-9][0-9]*)\.yaml$")


def _escape(char: str) -> str:
    return "".join(f"%{b:02X}" for b in char.encode("utf-8"))


def model_dir(name: str) -> str:
    """The folder name of a model: readable when it can be, unique, portable, < 200 bytes.

    Unsafe characters are percent-encoded; a leading '.', a trailing '.' and the stem of a
    name Windows reserves (`con`, `nul.txt`, ...) are encoded too. A name whose encoding is
    too long keeps a readable prefix and ends in a hash of the full name, so the mapping
    stays a pure function of the name (the name itself is in `model.yaml`).
    """
    out = "".join(c if _SAFE.match(c) else _escape(c) for c in name)
    if out.startswith("."):
        out = "%2E" + out[1:]
    if out.endswith("."):
        out = out[:-1] + "%2E"
    if out.split(".")[0].lower() in _WINDOWS_RESERVED:
        out = _escape(out[0]) + out[1:]
    if len(out.encode()) > MAX_DIR_BYTES:
        import hashlib  # only for names this long: ~2.5 ms a process otherwise

        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        prefix = out[: MAX_DIR_BYTES - 17]
        prefix = re.sub(r"%[0-9A-F]?$", "", prefix)  # never cut an escape in half
        out = f"{prefix}~{digest}"
    return out


def model_path(name: str) -> str:
    return f"{MODELS_DIR}/{model_dir(name)}"


def model_file(name: str) -> str:
    return f"{model_path(name)}/{MODEL_FILE}"


def aliases_file(name: str) -> str:
    return f"{model_path(name)}/{ALIASES_FILE}"


def versions_path(name: str) -> str:
    return f"{model_path(name)}/{VERSIONS_DIR}"


def version_file(name: str, version: int) -> str:
    return f"{versions_path(name)}/{version}.yaml"


def version_number(filename: str) -> int | None:
    """`7.yaml` -> 7; anything else (`07.yaml`, `x.yaml`) -> None."""
    match = _VERSION_FILE_RE.match(filename)
    return int(match.group(1)) if match else None


def store_dir(digest: str) -> str:
    """Artifacts' place in the store, relative to the store URL: `sha256/<hex>`."""
    return f"sha256/{digest.removeprefix('sha256:')}"
