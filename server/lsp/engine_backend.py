"""Suggestions from an engine in the language server's own process (the embedded default).

Input: a model reference and an engine kind (`safecoder.engines.create_engine`; `auto`
picks llama.cpp on a CPU when the model has a GGUF). The model loads in a worker thread
on `start`, so the editor stays responsive meanwhile.

Generation is the HTTP server's, reused rather than repeated: fill-in-the-middle
through `safecoder.server.infill` (the model's own FIM format, or the prefix alone cut
where it repeats the code after the cursor: the embedded SmolLM2 has no FIM tokens),
and the security gate through `safecoder.server.gate` (`SecurityGate` with a
`CompletionCheck` of prefix + candidate + suffix), so a suggestion shown in the editor
got exactly the verdict the server would have given it. Without a gate mode (fix
candidates, which are verified separately) every candidate comes back in order.

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

# Temperature of the gate's extra candidates when a request is greedy (the server's default).
GATE_TEMPERATURE = 0.7


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
            from safecoder.server.gate import load_analyzer

            from safecoder.engines import create_engine
            from safecoder.errors import SafeCoderError

            logger.info("loading model %r (%s engine)", self._model_reference, self._engine_kind)
            try:
                engine = await asyncio.to_thread(create_engine, self._engine_kind, self._model_reference)
                await engine.start()
            except SafeCoderError as exc:
                raise BackendError(f"cannot load model {self._model_reference!r}: {exc}") from None
            self._analyzer = load_analyzer()
            self._engine = engine
            logger.info("model ready: %s", self.description)

    async def complete(self, query: GenerationQuery) -> list[Suggestion]:
        from safecoder.server.gate import Candidate, CompletionCheck, SecurityGate
        from safecoder.server.infill import infill_prompt

        from safecoder.engines.base import EngineError, GenerationRequest, SamplingParams

        await self.start()
        engine = self._engine
        infill = infill_prompt(engine, query.prompt, query.suffix)
        sampling = SamplingParams(
            n=1 if query.gate is not None else query.n, temperature=query.temperature,
            top_p=0.95 if query.temperature > 0 else 1.0, max_new_tokens=query.max_tokens,
            stop=(*query.stop, *infill.stop), seed=query.seed,
        )

        async def draw(sampling: SamplingParams) -> list[Candidate]:
            result = await engine.generate(GenerationRequest(prompt=infill.prompt, sampling=sampling))
            candidates = []
            for completion in result.completions:
                text, cut = infill.finish(completion.text, completion.finish_reason == "stop")
                reason = "stop" if cut else completion.finish_reason
                candidates.append(Candidate(text, completion.token_count, reason, completion.logprob))
            return candidates

        try:
            if query.gate is None:
                return [Suggestion(text=c.text, action="unchecked", candidates=1) for c in await draw(sampling)]
            gate = SecurityGate(self._analyzer, candidates=query.gate_candidates, draw="lazy",
                                temperature=GATE_TEMPERATURE)
            check = CompletionCheck(self._analyzer, query.prompt, query.suffix or "", query.language)
            report = await gate.run(query.gate, sampling, draw, check)
        except EngineError as exc:
            raise BackendError(f"the in-process model could not complete: {exc}") from None
        return [
            Suggestion(text=o.text, action=o.action, findings=o.findings, candidates=o.candidates, rejected=o.rejected)
            for o in report.outcomes
        ]

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.close()
