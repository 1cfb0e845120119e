"""Suggestions from an engine in the language server's own process (the embedded default).

Input: a model reference and an engine kind (`safecoder.engines.create_engine`; `auto`
picks llama.cpp on a CPU when the model has a GGUF). The model loads in a worker thread
on `start`, so the editor stays responsive meanwhile.

Generation takes the one suggestion path the HTTP server takes (`safecoder.suggest`):
`plan_completion` builds the fill-in-the-middle prompt (the model's own FIM format, or
the prefix alone cut where it repeats the code after the cursor: the embedded SmolLM2
has no FIM tokens) and the `CompletionCheck` of prefix + candidate + suffix, and
`suggest` has the `SecurityGate` draw, judge and choose, so a suggestion shown in the
editor got exactly the verdict the server would have given it. Without a gate mode (fix
candidates, which are verified separately) the gate is `off`: every candidate comes back
in order, unchecked.

Leaving `complete` early (the request was cancelled) leaves the engine's stream, which
stops the generation.
"""

from __future__ import annotations

import asyncio
import logging

from safecoder.server.lsp.backend import (
    BackendError,
    CompletionBackend,
    GenerationQuery,
    Suggestion,
)

logger = logging.getLogger(__name__)

class EngineBackend(CompletionBackend):
    def __init__(self, model: str = "default", engine_kind: str = "auto", engine=None):
        self._model_reference = model
        self._engine_kind = engine_kind
        self._engine = engine
        self._lock = asyncio.Lock()
        self._analyzer = None

    @property
    def description(self) -> str:
        if self._engine is None:
            return f"model {self._model_reference!r} in process ({self._engine_kind} engine, not loaded yet)"
        return f"{self._engine.model_name} in process ({self._engine.kind} engine)"

    @property
    def engine(self):
        return self._engine

    async def start(self) -> None:
        async with self._lock:
            if self._engine is not None:
                return
            from safecoder.engines import create_engine
            from safecoder.errors import SafeCoderError
            from safecoder.suggest import load_analyzer

            try:
                if self._model_reference == "default":
                    # Left unset, the editor gets what `safecoder serve` would serve: `production`,
                    # or the shipped SafeCoder model registered as production on first use.
                    from safecoder.server.model_slot import choose_reference

                    self._model_reference, why = await asyncio.to_thread(choose_reference, None)
                    logger.info("%s", why)
                logger.info("loading model %r (%s engine)", self._model_reference, self._engine_kind)
                engine = await asyncio.to_thread(create_engine, self._engine_kind, self._model_reference)
                await engine.start()
            except SafeCoderError as exc:
                raise BackendError(f"cannot load model {self._model_reference!r}: {exc}") from None
            self._analyzer = load_analyzer()
            self._engine = engine
            logger.info("model ready: %s", self.description)

    async def complete(self, query: GenerationQuery) -> list[Suggestion]:
        from safecoder.engines.base import EngineError, SamplingParams
        from safecoder.suggest import SecurityGate, plan_completion, suggest

        await self.start()
        engine = self._engine
        if engine is None:  # start() loads it or raises
            raise BackendError(f"model {self._model_reference!r} is not loaded")
        # An editor's document is code, never a FIM template a client rendered: no sentinels are read.
        plan = plan_completion(engine, self._analyzer, query.prompt, query.suffix, query.language)
        sampling = plan.sampling(SamplingParams(
            n=1 if query.gate is not None else query.n, temperature=query.temperature,
            top_p=0.95 if query.temperature > 0 else 1.0, max_new_tokens=query.max_tokens,
            stop=query.stop, seed=query.seed,
        ))
        # The gate's extra candidates of a greedy request are sampled at its default temperature,
        # the HTTP server's default too.
        gate = SecurityGate(self._analyzer, candidates=query.gate_candidates, draw="lazy")
        try:
            report = await suggest(gate, query.gate or "off", engine, plan.prompt, sampling, plan.check, plan.finish)
        except EngineError as exc:
            raise BackendError(f"the in-process model could not complete: {exc}") from None
        return [
            Suggestion(text=o.text, action=o.action, findings=o.findings, candidates=o.candidates, rejected=o.rejected)
            for o in report.outcomes
        ]

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.close()
