"""Where suggestions come from: one interface over a SafeCoder HTTP server and an in-process engine.

The features (inline completion, list completion, fixes) ask a `CompletionBackend` for
text and never care which one answers:

- `RemoteBackend` (`remote_backend.py`) calls a SafeCoder HTTP server's
  `/v1/completions` with the official `openai` client; the server's security gate has
  already chosen among its candidates and says so in each choice's `safecoder` field.
- `EngineBackend` (`engine_backend.py`) runs an engine (`safecoder.engines`) in the
  language server's own process and applies the same gate to its candidates.

Both return `Suggestion`s that carry the gate's verdict in the server's wire shape
(action, findings, candidates drawn, candidates rejected).

Not here: prompts for fixes (`fixes.py`) or the completion window (`documents.py`).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Literal

from safecoder.analysis.findings import Finding
from safecoder.errors import SafeCoderError
from safecoder.server.lsp.config import GateMode

GateAction = Literal["passed", "reranked", "annotated", "blocked", "unchecked"]


class BackendError(SafeCoderError):
    """The suggestion source cannot answer (server down, key refused, model missing); shown to the user."""


@dataclass(frozen=True)
class GenerationQuery:
    """One request for text: a prompt, optionally the code after the hole, sampling bounds."""

    prompt: str
    language: str
    suffix: str | None = None
    n: int = 1
    max_tokens: int = 64
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    # The gate mode, or None when the caller verifies candidates itself (fixes).
    gate: GateMode | None = None
    # Candidates an in-process gate draws to choose one from (the HTTP server uses its own k).
    gate_candidates: int = 1
    seed: int | None = None


@dataclass(frozen=True)
class Suggestion:
    """A candidate text and what the security gate said about it."""

    text: str
    action: GateAction = "unchecked"
    findings: tuple[Finding, ...] = ()
    candidates: int = 1
    rejected: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        """Whether an editor should show it: blocked or empty suggestions are not shown."""
        return self.action != "blocked" and bool(self.text.strip())

    def gate_summary(self) -> str:
        """One line for a tooltip: the gate's action and the CWEs it found."""
        cwes = sorted({f.cwe for f in self.findings})
        found = f"; findings: {', '.join(cwes)}" if cwes else ""
        return f"security gate: {self.action} ({self.rejected} of {self.candidates} candidates rejected{found})"


class CompletionBackend(abc.ABC):
    """A source of suggestions. `start` may take long (loading a model); `complete` is cancellable."""

    @property
    @abc.abstractmethod
    def description(self) -> str:
        """Where suggestions come from, for the status request and logs."""

    async def start(self) -> None:
        """Prepare (connect, load the model). Idempotent."""
        return None

    @abc.abstractmethod
    async def complete(self, query: GenerationQuery) -> list[Suggestion]:
        """Candidates for `query`: with a gate, its choice first; without, all n in order."""

    async def close(self) -> None:
        """Release the connection or the model."""
        return None
