"""Where SafeCoder keeps its state on disk.

Everything lives under one folder, `SAFECODER_HOME` (default: the user's cache directory,
e.g. `~/.cache/safecoder`): converted model checkpoints, the model registry, analyzer
caches. Nothing here creates folders at import time; callers ask for a folder and get it
created.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "SAFECODER_HOME"
REGISTRY_ENV = "SAFECODER_REGISTRY"


def home() -> Path:
    """The root of SafeCoder's state, from `SAFECODER_HOME` or the user's cache directory."""
    configured = os.environ.get(HOME_ENV)
    root = Path(configured).expanduser() if configured else Path(platformdirs.user_cache_dir("safecoder"))
    root.mkdir(parents=True, exist_ok=True)
    return root


SHARED_DATA_ENV = "SAFECODER_SHARED_DATA"


def shared_data_dir() -> Path | None:
    """The project's read-only data folder (`shared/data`), or None when none is found.

    Looked for in `SAFECODER_SHARED_DATA`, then as `shared/data` beside the working
    directory or the checkout or any of their parents (the project keeps its data at
    `../shared/data` relative to the checkout), then at `/work/shared/data`.
    """
    configured = os.environ.get(SHARED_DATA_ENV)
    if configured:
        return Path(configured).expanduser()
    checkout = Path(__file__).resolve().parent.parent
    for start in (Path.cwd().resolve(), checkout):
        for folder in (start, *start.parents):
            candidate = folder / "shared" / "data"
            if (candidate / "README.md").is_file():
                return candidate
    fallback = Path("/work/shared/data")
    return fallback if (fallback / "README.md").is_file() else None


SHARED_PREFIX = "shared:"


def resolve_data_path(text: str) -> Path:
    """A data path; `shared:sub/path` is `sub/path` inside the shared data folder.

    Raises FileNotFoundError naming the fix when the text names the shared folder and
    none is found.
    """
    if not text.startswith(SHARED_PREFIX):
        return Path(text).expanduser()
    root = shared_data_dir()
    if root is None:
        raise FileNotFoundError(f"{text!r} names the shared data folder, which was not found; set "
                                f"{SHARED_DATA_ENV} to it or give the path itself")
    return root / text[len(SHARED_PREFIX):]


def models_cache() -> Path:
    """Converted checkpoints (e.g. the embedded model as safetensors)."""
    path = home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def registry_root() -> Path:
    """The model registry's folder (versions, aliases, history); `SAFECODER_REGISTRY` overrides it."""
    configured = os.environ.get(REGISTRY_ENV)
    path = Path(configured).expanduser() if configured else home() / "registry"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(name: str) -> Path:
    """A named cache folder under `SAFECODER_HOME/cache` (e.g. `repos`, `instructions`)."""
    path = home() / "cache" / name
    path.mkdir(parents=True, exist_ok=True)
    return path
