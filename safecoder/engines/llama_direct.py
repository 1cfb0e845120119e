"""llama.cpp called directly, as a user of `llama-cpp-python` would: the load test's baseline.

`make bench-serve` (`safecoder.server.loadtest`) measures every engine behind the server
beside the engine called in process; for the llama.cpp engine it also measures the
library itself, without SafeCoder: one `llama_cpp.Llama` on the same GGUF file with the
same thread count, streaming greedy completions through `create_completion`. One
`Llama` object holds one context and is not thread-safe, so concurrent requests take
turns (as with one `Llama` in any application). The gap between this row and the
server's rows is SafeCoder's own overhead; the goal is at least 90% of its tokens/s.

Not used for serving.
"""

from __future__ import annotations

import asyncio
import logging
import time

from safecoder.models.reference import ResolvedModel

logger = logging.getLogger(__name__)


class LlamaCppDirect:
    label = "llama.cpp (direct library)"

    def __init__(self, model: ResolvedModel, threads: int, context_tokens: int = 4096):
        from llama_cpp import Llama

        from safecoder.engines.llama_engine import _library

        _library()  # route llama.cpp's log into Python logging, as for the engine
        self.gguf = model.gguf
        self.threads = threads
        self._llm = Llama(str(model.gguf), n_ctx=context_tokens, n_threads=threads, n_threads_batch=threads,
                          verbose=False)
        self._turn: asyncio.Lock | None = None

    async def run(self, prompt: str, max_tokens: int):
        if self._turn is None:
            self._turn = asyncio.Lock()
        async with self._turn:
            return await asyncio.to_thread(self._complete, prompt, max_tokens)

    def _complete(self, prompt: str, max_tokens: int):
        from safecoder.server.loadtest import Sample

        started = time.perf_counter()
        first, tokens = None, 0
        for chunk in self._llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, stream=True):
            if chunk["choices"][0]["text"]:
                tokens += 1  # the stream yields one chunk per generated token
                if first is None:
                    first = time.perf_counter()
        ended = time.perf_counter()
        return Sample(ended - started, (first or ended) - started, tokens)

    async def close(self) -> None:
        self._llm.close()


def llama_direct_baseline(model: ResolvedModel, settings) -> LlamaCppDirect | None:
    """The load test's factory: a runner on the model's GGUF, with the engine's thread count."""

    if model.gguf is None and not any(o.startswith("gguf=") for o in settings.engine_options.get("llama", [])):
        logger.warning("no GGUF file for %s: the llama.cpp direct baseline is skipped", model.reference)
        return None
    import dataclasses
    from pathlib import Path

    from safecoder.engines.llama_engine import default_threads

    threads = 0
    for option in getattr(settings, "engine_options", {}).get("llama", []):
        key, _, value = option.partition("=")
        if key.strip() == "threads":
            threads = int(value)
        elif key.strip() == "gguf":  # the engine serves another file; so does the baseline
            model = dataclasses.replace(model, gguf=Path(value.strip()))
    return LlamaCppDirect(model, threads or default_threads())
