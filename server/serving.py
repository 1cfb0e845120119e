"""Serving logic of `/v1/completions` and `/v1/chat/completions` over the engine interface.

Inputs: validated requests (`safecoder.server.protocol`), the `ModelSlot` (which engine
serves now), the `SecurityGate`, the `AdmissionControl` queue and the metrics. Outputs:
a response dict, or an async iterator of server-sent events for `stream=true`.

How a request runs: the requested model must be the one served; the prompt is built
(fill-in-the-middle for a `suffix`, the chat template for messages) and must fit the
context with `max_tokens`; then, inside an admission slot and holding the model (so a
promotion never closes an engine under a request), the gate draws and judges
candidates. Streams are live when nothing has to be withheld (gate `off` or
`annotate`: the verdict arrives with each choice's last chunk); in `rerank` and `block`
modes text is held until the gate has chosen, then sent. A failing stream sends an
error chunk, then `[DONE]`. Leaving a stream cancels its generation (the engine stream
is closed); non-streaming requests are cancelled by the app when the client disconnects.

Depends only on `safecoder.engines.base.Engine`; no engine-specific code.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from safecoder.server import responses
from safecoder.server.admission import AdmissionControl
from safecoder.server.api_errors import APIError, to_api_error
from safecoder.server.gate import (
    Candidate,
    ChatCheck,
    Check,
    CompletionCheck,
    GateOutcome,
    SecurityGate,
    choose,
    engine_draw,
    judge,
)
from safecoder.server.infill import infill_prompt
from safecoder.server.metrics import ServerMetrics
from safecoder.server.model_slot import ModelSlot, ServedModel
from safecoder.server.protocol import ChatCompletionRequest, CompletionRequest, Limits

from safecoder.engines.base import GenerationRequest, SamplingParams
from safecoder.prompts.chat import ChatTemplateMissingError

logger = logging.getLogger(__name__)

Request = CompletionRequest | ChatCompletionRequest


@dataclass
class Prepared:
    """A request made concrete for one served model."""

    served: ServedModel
    prompt: str
    prompt_tokens: int
    sampling: SamplingParams
    mode: str
    check: Check
    header: responses.ResponseHeader
    finish: Callable[[str, bool], tuple[str, bool]]
    echo: str = ""


class Serving:
    def __init__(self, slot: ModelSlot, gate: SecurityGate, admission: AdmissionControl, metrics: ServerMetrics,
                 limits: Limits, default_gate: str, gate_override: bool):
        self.slot = slot
        self.gate = gate
        self.admission = admission
        self.metrics = metrics
        self.limits = limits
        self.default_gate = default_gate
        self.gate_override = gate_override

    # ----- entry points ----------------------------------------------------------------
    async def complete(self, request: Request) -> dict:
        async with self.admission.slot(), self.slot.use() as served:
            prepared = self.prepare(request, served)
            started = time.perf_counter()
            report = await self.gate.run(prepared.mode, prepared.sampling, self._drawer(prepared), prepared.check)
            self._record(prepared, report.outcomes, time.perf_counter() - started, report.seconds)
            return self._body(request, prepared, report.outcomes)

    def check_admissible(self, request: Request) -> None:
        """Errors a stream must report as an HTTP status, before its first byte."""
        self.prepare(request, self.slot.current)
        if self.admission.running >= self.admission.max_concurrent and self.admission.waiting >= self.admission.max_queue:
            self.metrics.rejections.labels("queue_full").inc()
            raise APIError(503, "the server is busy; retry shortly", "server_overloaded", code="queue_full",
                           headers={"Retry-After": "1"})

    async def stream(self, request: Request) -> AsyncIterator[str]:
        header = None
        try:
            async with self.admission.slot(), self.slot.use() as served:
                prepared = self.prepare(request, served)
                header = prepared.header
                live = prepared.mode in ("off", "annotate") or not prepared.check.can_judge
                chunks = self._live(request, prepared) if live else self._held(request, prepared)
                async with contextlib.aclosing(chunks):
                    async for chunk in chunks:
                        yield chunk
        except (asyncio.CancelledError, GeneratorExit):
            self.metrics.cancelled.labels(_kind(request)).inc()
            raise
        except Exception as exc:
            error = to_api_error(exc)
            logger.info("stream %s failed: %s", header.id if header else "-", error.message)
            yield responses.sse(error.body())
        yield responses.DONE

    # ----- preparing -------------------------------------------------------------------
    def prepare(self, request: Request, served: ServedModel) -> Prepared:
        if request.model not in served.ids:
            raise APIError(404, f"model {request.model!r} is not served here; this server serves "
                                f"{', '.join(repr(i) for i in served.ids)} (see /v1/models)",
                           param="model", code="model_not_found")
        mode = self.default_gate
        if request.gate_override is not None:
            if not self.gate_override:
                raise APIError(400, "this server does not let requests choose the gate mode", param="safecoder.gate")
            mode = request.gate_override
        engine = served.engine
        header = responses.ResponseHeader(_kind(request), served.reference, mode, served.version)
        if isinstance(request, CompletionRequest):
            infill = infill_prompt(engine, request.prompt_text, request.suffix)
            prompt = infill.prompt
            sampling = request.to_sampling_params(self.limits)
            if infill.stop:
                sampling = dataclasses.replace(sampling, stop=(*sampling.stop, *infill.stop))
            check: Check = CompletionCheck(self.gate.analyzer, request.prompt_text, request.suffix or "",
                                           request.language)
            finish, echo = infill.finish, request.prompt_text if request.echo else ""
        else:
            try:
                prompt = engine.apply_chat_template(request.template_messages())
            except ChatTemplateMissingError as exc:
                raise APIError(400, f"{exc}: use /v1/completions with this model", param="messages") from None
            check = ChatCheck(self.gate.analyzer, request.language)
            finish, echo = _unchanged, ""
        prompt_tokens = engine.count_tokens(prompt)
        if isinstance(request, ChatCompletionRequest):
            room = engine.max_context_tokens - prompt_tokens
            sampling = request.to_sampling_params(self.limits, default_max_tokens=max(1, room))
        engine.check_prompt_fits(prompt_tokens, sampling.max_new_tokens)
        return Prepared(served, prompt, prompt_tokens, sampling, mode, check, header, finish, echo)

    def _drawer(self, prepared: Prepared):
        return engine_draw(prepared.served.engine, prepared.prompt, prepared.finish)

    # ----- answers ---------------------------------------------------------------------
    def _body(self, request: Request, prepared: Prepared, outcomes: list[GateOutcome]) -> dict:
        completion_tokens = sum(o.candidate.token_count for o in outcomes)
        if isinstance(request, CompletionRequest):
            choices = [responses.completion_choice(i, prepared.echo + o.text, o.finish_reason, o.to_dict())
                       for i, o in enumerate(outcomes)]
            return responses.completion_body(prepared.header, choices, prepared.prompt_tokens, completion_tokens)
        choices = [responses.chat_choice(i, o.text, o.finish_reason, o.to_dict()) for i, o in enumerate(outcomes)]
        return responses.chat_body(prepared.header, choices, prepared.prompt_tokens, completion_tokens)

    async def _held(self, request: Request, prepared: Prepared) -> AsyncIterator[str]:
        """rerank/block: nothing is shown before the gate has chosen."""
        started = time.perf_counter()
        report = await self.gate.run(prepared.mode, prepared.sampling, self._drawer(prepared), prepared.check)
        elapsed = time.perf_counter() - started
        self._record(prepared, report.outcomes, elapsed, report.seconds)
        self.metrics.time_to_first_token.labels(prepared.header.kind).observe(elapsed)
        for index, outcome in enumerate(report.outcomes):
            for chunk in self._opening(request, prepared, index):
                yield chunk
            if outcome.text:
                yield self._text_chunk(request, prepared, index, outcome.text)
            yield self._final_chunk(request, prepared, index, outcome.finish_reason, outcome.to_dict())
        if request.include_usage:
            yield responses.usage_chunk(prepared.header, prepared.prompt_tokens,
                                        sum(o.candidate.token_count for o in report.outcomes))

    async def _live(self, request: Request, prepared: Prepared) -> AsyncIterator[str]:
        """off/annotate: text flows as generated; each choice's verdict comes with its last chunk."""
        engine = prepared.served.engine
        n = prepared.sampling.n
        texts: list[list[str]] = [[] for _ in range(n)]
        finished: dict[int, tuple[str, int]] = {}
        started = time.perf_counter()
        first_text_at = None
        for index in range(n):
            for chunk in self._opening(request, prepared, index):
                yield chunk
        stream = engine.stream(GenerationRequest(prepared.prompt, prepared.sampling))
        async with contextlib.aclosing(stream):
            async for delta in stream:
                if delta.text:
                    if first_text_at is None:
                        first_text_at = time.perf_counter()
                        self.metrics.time_to_first_token.labels(prepared.header.kind).observe(first_text_at - started)
                    texts[delta.index].append(delta.text)
                    yield self._text_chunk(request, prepared, delta.index, delta.text)
                if delta.finish_reason is not None:
                    finished[delta.index] = (delta.finish_reason, delta.token_count)
        generated = time.perf_counter()
        candidates = [Candidate("".join(texts[i]), finished.get(i, ("cancelled", 0))[1],
                                finished.get(i, ("cancelled", 0))[0]) for i in range(n)]
        if prepared.mode == "annotate":
            verdicts = await judge(prepared.check, candidates)
            outcomes = [choose("annotate", [(c, v)]) for c, v in zip(candidates, verdicts, strict=True)]
        else:
            outcomes = [GateOutcome("unchecked", c, (), 1, 0) for c in candidates]
        gate_seconds = time.perf_counter() - generated
        self._record(prepared, outcomes, generated - started, gate_seconds)
        for index, outcome in enumerate(outcomes):
            yield self._final_chunk(request, prepared, index, outcome.finish_reason, outcome.to_dict())
        if request.include_usage:
            yield responses.usage_chunk(prepared.header, prepared.prompt_tokens, sum(c.token_count for c in candidates))

    def _opening(self, request: Request, prepared: Prepared, index: int) -> list[str]:
        if isinstance(request, ChatCompletionRequest):
            return [responses.chat_chunk(prepared.header, index, {"role": "assistant", "content": ""})]
        if prepared.echo:
            return [responses.completion_chunk(prepared.header, index, prepared.echo)]
        return []

    def _text_chunk(self, request: Request, prepared: Prepared, index: int, text: str) -> str:
        if isinstance(request, ChatCompletionRequest):
            return responses.chat_chunk(prepared.header, index, {"content": text})
        return responses.completion_chunk(prepared.header, index, text)

    def _final_chunk(self, request: Request, prepared: Prepared, index: int, finish_reason: str, gate: dict) -> str:
        finish_reason = "stop" if finish_reason == "cancelled" else finish_reason
        if isinstance(request, ChatCompletionRequest):
            return responses.chat_chunk(prepared.header, index, {}, finish_reason, gate)
        return responses.completion_chunk(prepared.header, index, "", finish_reason, gate)

    def _record(self, prepared: Prepared, outcomes: list[GateOutcome], seconds: float, gate_seconds: float) -> None:
        self.metrics.record_gate(outcomes, gate_seconds)
        generated = sum(o.candidate.token_count for o in outcomes)
        self.metrics.generated_tokens.inc(generated)
        self.metrics.prompt_tokens.inc(prepared.prompt_tokens)
        generation_seconds = max(1e-6, seconds - gate_seconds)
        if generated:
            self.metrics.tokens_per_second.observe(generated / generation_seconds)


def _kind(request: Request) -> str:
    return "completion" if isinstance(request, CompletionRequest) else "chat"


class ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


def _unchanged(text: str, stopped: bool = False) -> tuple[str, bool]:
    return text, False


async def cancel_on_disconnect(coroutine, is_disconnected: Callable[[], asyncio.Future]):
    """Run `coroutine`, cancelling it when `is_disconnected` resolves first (the client left)."""
    work = asyncio.ensure_future(coroutine)
    watcher = asyncio.ensure_future(is_disconnected())
    try:
        done, _ = await asyncio.wait({work, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if work in done:
            return work.result()
        work.cancel()
        try:
            await work
        except asyncio.CancelledError:
            pass
        raise ClientGone("the client disconnected")
    finally:
        watcher.cancel()
        if not work.done():
            work.cancel()
