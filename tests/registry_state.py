"""A registry's state for comparing a run that was killed and resumed with one that was not.

aliases.json and every manifest, with the times and the checkout's version blanked (other
commits land while a test runs); with `listing`, also every file name under the registry.
"""

from __future__ import annotations

import json
from typing import Any

from safecoder.registry import Registry

VOLATILE_KEYS = ("time", "created_at", "code_version")


def blank_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "T" if k in VOLATILE_KEYS else blank_volatile(v) for k, v in value.items()}
    if isinstance(value, list):
        return [blank_volatile(v) for v in value]
    return value


def registry_state(registry: Registry, *, listing: bool = False) -> dict[str, Any]:
    files = [registry.aliases_file] + [registry.version_dir(v) / "manifest.json" for v in registry.versions()]
    state = {f.relative_to(registry.root).as_posix(): blank_volatile(json.loads(f.read_text())) for f in files}
    if listing:
        state["listing"] = sorted(p.relative_to(registry.root).as_posix() for p in registry.root.rglob("*"))
    return state
