"""A registered model version's manifest: what it is, what made it, how it measured.

The manifest is the only file that makes a folder under `registry/versions/` a version:
it is written last, so a version either has a complete manifest or does not exist.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

MANIFEST_FILE = "manifest.json"
MANIFEST_SCHEMA = 1

Kind = Literal["full", "adapter", "embedded", "gguf"]


@dataclass
class Manifest:
    version: str
    kind: Kind
    base_model: str
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    # Paths inside the version folder: transformers weights, a PEFT adapter.
    weights: str | None = None
    adapter: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    config_hash: str = ""
    code_version: str = ""
    parent: str | None = None
    run_dir: str | None = None
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    promotions: list[dict[str, Any]] = field(default_factory=list)
    gguf: list[dict[str, Any]] = field(default_factory=list)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    schema_version: int = MANIFEST_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        if extra:
            values.setdefault("extra", {}).update(extra)
        return cls(**values)

    def latest_evaluation(self, suite: str | None = None) -> dict[str, Any] | None:
        matching = [e for e in self.evaluations if suite is None or e.get("suite") == suite]
        return matching[-1] if matching else None
