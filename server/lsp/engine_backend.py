"""Suggestions from an engine in the language server's own process (the embedded default).

Input: a model reference and an engine kind (`safecoder.engines.create_engine`; `auto`
picks llama.cpp on a CPU when the model has a GGUF). The model loads in a worker thread
on `start`, so the editor stays responsive meanwhile. Fill-in-the-middle uses the
model's own format (`engine.fim_format`) when it has one; otherwise the prompt is the
prefix alone and `trim_to_suffix` cuts the completion where it starts repeating the
code after the cursor (the embedded SmolLM2 has no FIM tokens).

Output: with a gate mode, the candidates go through the security gate
(`safecoder.server.lsp.gate`), the same decision the HTTP server makes; without one
(fix candidates, which are verified separately), every candidate in order.

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
from safecoder.server.lsp.gate import gate_candidates

logger = logging.getLogger(__name__)


class EngineBackend(CompletionBackend):
    def __init__(self, model: str = "default", engine_kind: str = "auto", engine=None):
        self._model_reference = model
        self._engine_kind = engine_kind
        self._engine = engine
        self._lock = asyncio.Lock()

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

            logger.info("loading model %r (%s engine)", self._model_reference, self._engine_kind)
            try:
                engine = await asyncio.to_thread(create_engine, self._engine_kind, self._model_reference)
                await engine.start()
            except SafeCoderError as exc:
                raise BackendError(f"cannot load model {self._model_reference!r}: {exc}") from None
            self._engine = engine
            logger.info("model ready: %s", self.description)

    async def complete(self, query: GenerationQuery) -> list[Suggestion]:
        from safecoder.engines.base import EngineError, GenerationRequest, SamplingParams
        from safecoder.prompts.fim import trim_to_suffix

        await self.start()
        engine = self._engine
        fim = engine.fim_format if query.suffix is not None else None
        prompt = fim.render(query.prompt, query.suffix) if fim is not None else query.prompt
        wanted = query.gate_candidates if query.gate not in (None, "off") else query.n
        n = wanted if query.temperature > 0 else 1
        sampling = SamplingParams(
            n=n, temperature=query.temperature, top_p=0.95 if query.temperature > 0 else 1.0,
            max_new_tokens=query.max_tokens, stop=query.stop, seed=query.seed, logprobs=query.gate is not None and n > 1,
        )
        try:
            result = await engine.generate(GenerationRequest(prompt=prompt, sampling=sampling))
        except EngineError as exc:
            raise BackendError(f"the in-process model could not complete: {exc}") from None
        texts = [c.text for c in result.completions]
        if fim is None and query.suffix:
            texts = [trim_to_suffix(text, query.suffix) for text in texts]
        if query.gate is None:
            return [Suggestion(text=text, action="unchecked", candidates=len(texts)) for text in texts]
        logprobs = [c.logprob for c in result.completions]
        chosen = await asyncio.to_thread(
            gate_candidates, texts, logprobs, query.prompt, query.suffix or "", query.language, query.gate,
        )
        return [chosen]

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.close()
