"""What every benchmark run shares: the model, its run folder, the engine, the sandbox.

The engine is created on first use, so a rerun whose samples are all cached never loads
the model; `close` releases it. An engine the caller already holds can be passed as
`engine_instance` (it is used, never closed here). The sandbox is created only when a
benchmark needs to execute code, after the explicit opt-in (`allow_code_execution`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from safecoder.benchmarks.run_folder import RunFolder, model_identity
from safecoder.models.reference import ResolvedModel

if TYPE_CHECKING:
    from safecoder.benchmarks.sandbox.executor import Isolation

logger = logging.getLogger(__name__)


@dataclass
class RunContext:
    model: ResolvedModel
    folder: RunFolder
    engine_kind: str = "auto"
    engine_options: dict[str, Any] = field(default_factory=dict)
    allow_code_execution: bool = False
    progress: bool = True
    engine_instance: Any = field(default=None, repr=False)
    engines_created: int = field(default=0, init=False)
    _engine: Any = field(default=None, init=False, repr=False)
    _sandboxes: dict = field(default_factory=dict, init=False, repr=False)

    @property
    def identity(self) -> dict[str, Any]:
        return model_identity(self.model)

    @property
    def resolved_engine_kind(self) -> str:
        """The engine `auto` stands for on this machine (part of every sample's cache key)."""
        if self.engine_instance is not None:
            return self.engine_instance.kind
        if self.engine_kind != "auto":
            return self.engine_kind
        from safecoder.engines import pick_engine

        return pick_engine(self.model)

    def engine(self):
        if self.engine_instance is not None:
            return self.engine_instance
        if self._engine is None:
            from safecoder.engines import create_engine

            logger.info("loading %s with the %s engine", self.model.reference, self.resolved_engine_kind)
            self._engine = create_engine(self.resolved_engine_kind, self.model, **self.engine_options)
            self.engines_created += 1
        return self._engine

    def engine_description(self) -> dict[str, Any]:
        engine = self.engine_instance or self._engine
        if engine is not None:
            return engine.describe()
        return {"engine": self.resolved_engine_kind, "model": self.model.describe()}

    def sandbox(self, limits=None, isolation: Isolation = "auto"):
        from safecoder.benchmarks.sandbox import Sandbox, SandboxLimits

        limits = limits or SandboxLimits()
        key = (limits, isolation)
        if key not in self._sandboxes:
            self._sandboxes[key] = Sandbox(allow_execution=self.allow_code_execution, isolation=isolation,
                                           limits=limits)
        return self._sandboxes[key]

    def close(self) -> None:
        if self._engine is not None:
            from safecoder.engines.base import run_sync

            run_sync(self._engine.close())
            self._engine = None
