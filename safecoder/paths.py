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
