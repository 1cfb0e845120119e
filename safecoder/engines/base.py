"""The generation-engine interface every stage uses: benchmarks, collector, server, LSP.

An engine turns a text prompt into n sampled continuations. The interface is async at
its core (`stream`), because the server multiplexes many requests; `generate` collects
a stream and `generate_batch` runs many requests from synchronous code (benchmarks),
letting the engine batch them as it sees fit.

Semantics shared by all engines (the transformers engine here; vLLM and llama.cpp
behind the same interface):
- `temperature == 0` is greedy decoding; then every one of the n samples is the same.
- A stop string ends a sample and is not part of its text (OpenAI semantics).
- `seed` makes sampling reproducible for the same request on the same engine.
- Leaving a `stream` early (closing the generator, cancelling its task) cancels the
  generation: the engine stops spending compute on it.
- `logprob`, when asked for, is the sum of the model's log-probabilities of the sampled
  tokens (unwarped), so candidates can be ranked by likelihood.
- `top_logprobs` (None: off) asks for every sampled token's own log-probability and the
  k most likely alternatives at its position (`TokenLogprob`), also unwarped (the raw
  model distribution, as vLLM and OpenAI report it).
- The sampling extensions peers accept (`top_k`, `min_p`, `repetition_penalty`,
  `presence_penalty`, `frequency_penalty`, `logit_bias`, `ignore_eos`) mean what vLLM
  means by them: penalties apply before temperature; `repetition_penalty` covers the
  prompt and the generated tokens (as transformers and vLLM), `presence_penalty` and
  `frequency_penalty` only the generated ones (as OpenAI); `logit_bias` adds to the raw
  logits by token id; `ignore_eos` forbids end-of-generation tokens, so a sample ends at
  a stop string or at `max_new_tokens` only. Every engine implements all of them.

Prompts are already formatted text; chat templates and fill-in-the-middle formats are
applied by the caller, with `apply_chat_template` and `fim_format` from the engine.
"""

from __future__ import annotations

import abc
import asyncio
import uuid
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from safecoder.errors import SafeCoderError
from safecoder.models.reference import ResolvedModel
from safecoder.prompts.chat_formats import ChatFormat, detect_chat_format
from safecoder.prompts.fim import FimFormat

FinishReason = Literal["stop", "length", "cancelled"]


class EngineError(SafeCoderError):
    """A request the engine cannot serve (bad parameters, prompt too long, engine down)."""


class PromptTooLongError(EngineError):
    def __init__(self, prompt_tokens: int, max_new_tokens: int, context: int):
        super().__init__(
            f"the prompt has {prompt_tokens} tokens; with max_new_tokens={max_new_tokens} it exceeds "
            f"the model's context of {context} tokens"
        )
        self.prompt_tokens = prompt_tokens
        self.context = context


MAX_TOP_LOGPROBS = 20  # OpenAI's limit for chat; completions allow 5


@dataclass(frozen=True)
class SamplingParams:
    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()
    seed: int | None = None
    logprobs: bool = False
    # Per-token log-probabilities: None off; k >= 0 the sampled token's and k alternatives.
    top_logprobs: int | None = None
    top_k: int = 0  # 0: off
    min_p: float = 0.0  # 0: off
    repetition_penalty: float = 1.0  # 1: off; > 1 discourages tokens already seen
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    # (token id, bias) pairs added to the logits; a tuple, so the record stays hashable.
    logit_bias: tuple[tuple[int, float], ...] = ()
    ignore_eos: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.n <= 256:
            raise EngineError(f"n must be between 1 and 256, got {self.n}")
        if not 0.0 <= self.temperature <= 5.0:
            raise EngineError(f"temperature must be between 0 and 5, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise EngineError(f"top_p must be in (0, 1], got {self.top_p}")
        if not 1 <= self.max_new_tokens <= 1_000_000:
            raise EngineError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if any(not isinstance(s, str) or not s for s in self.stop):
            raise EngineError("stop strings must be non-empty strings")
        object.__setattr__(self, "stop", tuple(self.stop))
        if self.top_logprobs is not None and not 0 <= self.top_logprobs <= MAX_TOP_LOGPROBS:
            raise EngineError(f"top_logprobs must be between 0 and {MAX_TOP_LOGPROBS}, got {self.top_logprobs}")
        if self.top_k < 0:
            raise EngineError(f"top_k must be 0 (off) or positive, got {self.top_k}")
        if not 0.0 <= self.min_p <= 1.0:
            raise EngineError(f"min_p must be between 0 and 1, got {self.min_p}")
        if not 0.0 < self.repetition_penalty <= 10.0:
            raise EngineError(f"repetition_penalty must be in (0, 10], got {self.repetition_penalty}")
        for name in ("presence_penalty", "frequency_penalty"):
            if not -2.0 <= getattr(self, name) <= 2.0:
                raise EngineError(f"{name} must be between -2 and 2, got {getattr(self, name)}")
        object.__setattr__(self, "logit_bias", tuple((int(t), float(b)) for t, b in self.logit_bias))

    @property
    def penalized(self) -> bool:
        """Whether any penalty changes the logits."""
        return self.repetition_penalty != 1.0 or self.presence_penalty != 0.0 or self.frequency_penalty != 0.0

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    sampling: SamplingParams = field(default_factory=SamplingParams)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class TokenLogprob:
    """One sampled token: its text, its log-probability, and the likeliest alternatives."""

    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Completion:
    index: int
    text: str
    token_count: int
    finish_reason: FinishReason
    logprob: float | None = None
    tokens: tuple[TokenLogprob, ...] = ()


@dataclass(frozen=True)
class GenerationResult:
    request_id: str
    prompt_tokens: int
    completions: tuple[Completion, ...]

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.completions]

    @property
    def completion_tokens(self) -> int:
        return sum(c.token_count for c in self.completions)


@dataclass(frozen=True)
class StreamDelta:
    """New text of sample `index`; the last delta of a sample carries its finish reason."""

    index: int
    text: str
    token_count: int
    finish_reason: FinishReason | None = None
    logprob: float | None = None
    prompt_tokens: int = 0
    # Tokens sampled since the previous delta (with `top_logprobs`); their text may be
    # released later than they arrive (stop strings hold text back).
    tokens: tuple[TokenLogprob, ...] = ()


class Engine(abc.ABC):
    """A loaded model that generates. Create with `safecoder.engines.create_engine`."""

    kind: str = "abstract"

    def __init__(self, model: ResolvedModel):
        self.model = model
        # Set by each engine once its model is loaded.
        self._context = 0
        self._fim: FimFormat | None = None
        self._chat: ChatFormat | None = None

    @property
    def model_name(self) -> str:
        return self.model.name

    @property
    def max_context_tokens(self) -> int:
        return self._context

    @property
    def fim_format(self) -> FimFormat | None:
        """The model's fill-in-the-middle format, or None when it has no FIM tokens."""
        return self._fim

    @abc.abstractmethod
    def count_tokens(self, text: str) -> int: ...

    @property
    def chat_format(self) -> ChatFormat | None:
        """The chat format the project renders itself, or None (the model's template is used)."""
        return self._chat

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        """Messages in the model's chat format, ready for the answer.

        Known formats are rendered by `safecoder.prompts.chat_formats`, not by the Jinja
        program a model file carries; other models fall back to their own template.
        """
        if self._chat is not None:
            return self._chat.render(messages)
        return self._template_chat(messages)

    @abc.abstractmethod
    def _template_chat(self, messages: list[dict[str, str]]) -> str:
        """Messages rendered with the model's own (sandboxed) template: the fallback."""

    def _detect_chat_format(self, vocabulary, template: str | None) -> ChatFormat | None:
        from safecoder.models import packaged

        entry = packaged.lookup(self.model.packaged) if self.model.packaged else None
        return detect_chat_format(vocabulary, template, entry.default_system_prompt if entry else None)

    @abc.abstractmethod
    def stream(self, request: GenerationRequest) -> AsyncGenerator[StreamDelta, None]:
        """Deltas of the n samples as they are produced (an async generator: callers close
        it early with `aclose`, or `contextlib.aclosing`)."""

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        texts: dict[int, list[str]] = {i: [] for i in range(request.sampling.n)}
        tokens: dict[int, list[TokenLogprob]] = {i: [] for i in range(request.sampling.n)}
        finished: dict[int, StreamDelta] = {}
        reasons: dict[int, FinishReason] = {}
        prompt_tokens = 0
        async for delta in self.stream(request):
            texts[delta.index].append(delta.text)
            tokens[delta.index].extend(delta.tokens)
            prompt_tokens = max(prompt_tokens, delta.prompt_tokens)
            if delta.finish_reason is not None:
                finished[delta.index] = delta
                reasons[delta.index] = delta.finish_reason
        completions = tuple(
            Completion(
                index=i,
                text="".join(texts[i]),
                token_count=finished[i].token_count if i in finished else 0,
                finish_reason=reasons.get(i, "cancelled"),
                logprob=finished[i].logprob if i in finished else None,
                tokens=tuple(tokens[i]),
            )
            for i in range(request.sampling.n)
        )
        return GenerationResult(request.request_id, prompt_tokens, completions)

    def generate_batch(self, requests: Sequence[GenerationRequest], progress: bool = False,
                       description: str = "generating") -> list[GenerationResult]:
        """Run many requests from synchronous code; results in request order.

        The default submits all requests concurrently to `generate` and lets the engine
        batch them; engines with a native offline batch path override this.
        """
        async def run_all() -> list[GenerationResult]:
            bar = _progress(len(requests), progress, description)
            async def one(request: GenerationRequest) -> GenerationResult:
                result = await self.generate(request)
                bar.update(1)
                return result
            try:
                return list(await asyncio.gather(*(one(r) for r in requests)))
            finally:
                bar.close()
        return run_sync(run_all())

    async def start(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Prepare for serving (load weights, start workers). Idempotent."""

    async def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release the model and any worker processes or threads."""

    def check_prompt_fits(self, prompt_tokens: int, max_new_tokens: int) -> None:
        if prompt_tokens + max_new_tokens > self.max_context_tokens:
            raise PromptTooLongError(prompt_tokens, max_new_tokens, self.max_context_tokens)

    def describe(self) -> dict:
        return {"engine": self.kind, "model": self.model.describe(), "max_context_tokens": self.max_context_tokens}


def run_sync(coroutine):
    """Run a coroutine from synchronous code, also when an event loop is already running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _progress(total: int, enabled: bool, description: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=description, unit="request")
