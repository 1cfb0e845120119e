"""Serving logic of `/v1/completions` and `/v1/chat/completions` over the engine interface.

Inputs: validated requests (`safecoder.server.protocol`; the editor endpoints convert
theirs into a `CompletionRequest`), the `Wire` that formats the answer
(`safecoder.server.responses`), the `ModelSlot` (which engine serves now), the
`SecurityGate`, the `AdmissionControl` queue and the metrics. Outputs: a response dict
and its extra headers, or an async iterator of server-sent events for `stream=true`.

How a request runs: any `model` name is accepted while one model is served
(`model_names: any`, llama.cpp's rule), or only the served ids (`served`); the prompt
is built (fill-in-the-middle for a `suffix` or for sentinels inside the prompt, the chat
template for messages) and `max_tokens` is clamped to the server's limit and the room
left in the context (`X-SafeCoder-Clamped`); fields no engine acts on are logged and
named in `X-SafeCoder-Ignored-Fields`. Then, inside an admission slot and holding the
model (so a promotion never closes an engine under a request), the suggestion path
(`safecoder.suggest`) draws, judges and chooses candidates. Streams are live when
nothing has to be withheld (gate `off` or `annotate`: the verdict arrives with each
choice's last chunk); in `rerank` and `block` modes text is held until the gate has
chosen, then sent, and SSE keep-alive comments flow meanwhile (one at once, then every
`KEEP_ALIVE_S`). A failing stream sends an error chunk, then `[DONE]`. Leaving a stream
cancels its generation (the engine stream is closed); non-streaming requests are
cancelled by the app when the client disconnects.

Depends only on `safecoder.engines.base.Engine`; no engine-specific code.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field

from safecoder.engines.base import (
    GenerationRequest,
    PromptTooLongError,
    SamplingParams,
    TokenLogprob,
)
from safecoder.prompts.chat import ChatTemplateMissingError
from safecoder.server import responses
from safecoder.server.admission import AdmissionControl
from safecoder.server.api_errors import APIError, to_api_error
from safecoder.server.metrics import ServerMetrics
from safecoder.server.model_slot import ModelSlot, ServedModel
from safecoder.server.protocol import ChatCompletionRequest, CompletionRequest, Limits
from safecoder.suggest import (
    Candidate,
    ChatCheck,
    Check,
    GateMode,
    GateOutcome,
    SecurityGate,
    judge_shown,
    plan_completion,
    suggest,
)

logger = logging.getLogger(__name__)

Request = CompletionRequest | ChatCompletionRequest
IGNORED_HEADER = "X-SafeCoder-Ignored-Fields"
CLAMPED_HEADER = "X-SafeCoder-Clamped"
KEEP_ALIVE_S = 1.0  # seconds between SSE keep-alive comments while the gate holds a stream


@dataclass
class Prepared:
    """A request made concrete for one served model."""

    served: ServedModel
    prompt: str
    prompt_tokens: int
    sampling: SamplingParams
    mode: GateMode
    check: Check
    header: responses.ResponseHeader
    finish: Callable[[str, bool], tuple[str, bool]]
    wire: responses.Wire
    echo: str = ""
    # Response headers: fields ignored, max_tokens clamped.
    headers: dict[str, str] = field(default_factory=dict)


class Serving:
    def __init__(self, slot: ModelSlot, gate: SecurityGate, admission: AdmissionControl, metrics: ServerMetrics,
                 limits: Limits, default_gate: GateMode, gate_override: bool, model_names: str = "any",
                 strict_fields: bool = False, keep_alive_s: float = KEEP_ALIVE_S):
        self.slot = slot
        self.gate = gate
        self.admission = admission
        self.metrics = metrics
        self.limits = limits
        self.default_gate: GateMode = default_gate
        self.gate_override = gate_override
        self.model_names = model_names
        self.strict_fields = strict_fields
        self.keep_alive_s = keep_alive_s
        self._warned: set[tuple[str, str]] = set()

    # ----- entry points ----------------------------------------------------------------
    async def complete(self, request: Request, wire: responses.Wire) -> tuple[dict, dict[str, str]]:
        """(the answer's body, its extra response headers)."""
        async with self.admission.slot(), self.slot.use() as served:
            prepared = self.prepare(request, served, wire)
            started = time.perf_counter()
            report = await self._suggest(prepared)
            self._record(prepared, report.outcomes, time.perf_counter() - started, report.seconds)
            return self._body(prepared, report.outcomes), prepared.headers

    def check_admissible(self, request: Request, wire: responses.Wire) -> dict[str, str]:
        """Errors a stream must report as an HTTP status, before its first byte; returns the
        response headers the stream will be sent with."""
        prepared = self.prepare(request, self.slot.current, wire)
        if self.admission.running >= self.admission.max_concurrent and self.admission.waiting >= self.admission.max_queue:
            self.metrics.rejections.labels("queue_full").inc()
            raise APIError(503, "the server is busy; retry shortly", "server_overloaded", code="queue_full",
                           headers={"Retry-After": "1"})
        return prepared.headers

    async def stream(self, request: Request, wire: responses.Wire) -> AsyncGenerator[str, None]:
        header = None
        try:
            async with self.admission.slot(), self.slot.use() as served:
                prepared = self.prepare(request, served, wire, log=False)
                header = prepared.header
                live = prepared.mode in ("off", "annotate") or not prepared.check.can_judge
                chunks = self._live(prepared) if live else self._held(prepared)
                async with contextlib.aclosing(chunks):
                    async for chunk in chunks:
                        yield chunk
        except (asyncio.CancelledError, GeneratorExit):
            self.metrics.cancelled.labels(wire.kind).inc()
            raise
        except Exception as exc:
            error = to_api_error(exc)
            logger.info("stream %s failed: %s", header.id if header else "-", error.message)
            yield responses.sse(error.body())
        if wire.done:
            yield wire.done

    # ----- preparing -------------------------------------------------------------------
    def prepare(self, request: Request, served: ServedModel, wire: responses.Wire, log: bool = True) -> Prepared:
        if self.model_names == "served" and request.model and request.model not in served.ids:
            raise APIError(404, f"model {request.model!r} is not served here; this server serves "
                                f"{', '.join(repr(i) for i in served.ids)} (see /v1/models)",
                           param="model", code="model_not_found")
        ignored = request.ignored_fields
        if ignored and self.strict_fields:
            raise APIError(400, f"unknown or unsupported field(s) {', '.join(ignored)}: this server refuses "
                                "fields it would ignore (--strict-fields)", param=ignored[0], code="invalid_request")
        mode = self.default_gate
        if request.gate_override is not None:
            if not self.gate_override:
                raise APIError(400, "this server does not let requests choose the gate mode", param="safecoder.gate")
            mode = request.gate_override
        engine = served.engine
        header = responses.ResponseHeader(wire.kind, served.reference, mode, served.version,
                                          include_usage=request.include_usage, logprobs=request.wanted_logprobs)
        plan = None
        if isinstance(request, CompletionRequest):
            # HTTP clients may send a FIM template they rendered themselves: its sentinels are read.
            plan = plan_completion(engine, self.gate.analyzer, request.prompt_text, request.suffix,
                                   request.language, read_sentinels=True)
            prompt, finish = plan.prompt, plan.finish
            check: Check = plan.check
            echo = request.prompt_text if request.echo else ""
        else:
            try:
                prompt = engine.apply_chat_template(request.template_messages())
            except ChatTemplateMissingError as exc:
                raise APIError(400, f"{exc}: use /v1/completions with this model", param="messages") from None
            check = ChatCheck(self.gate.analyzer, request.language)
            finish, echo = _unchanged, ""
        prompt_tokens = engine.count_tokens(prompt)
        if prompt_tokens == 0:
            # A model without a start-of-text token has nothing to generate from (the engines
            # failed on an empty input with a 500 before this check, found by the fuzzer).
            raise APIError(400, "the prompt is empty and this model adds no start-of-text token, so there is "
                                "nothing to continue; send some text", param="prompt", code="empty_prompt")
        room = engine.max_context_tokens - prompt_tokens
        if room < 1:
            raise PromptTooLongError(prompt_tokens, 1, engine.max_context_tokens)
        sampling = request.to_sampling_params(self.limits, room)
        params = plan.sampling(sampling.params) if plan is not None else sampling.params
        headers = {}
        if ignored:
            # Field names are the client's: escaped, since a header holds printable ASCII only (a
            # name like "温度" or one with a line break made a 500 before, found by the fuzzer).
            headers[IGNORED_HEADER] = ", ".join(ignored).encode("unicode_escape").decode("ascii")
            new = [name for name in ignored if (wire.kind, name) not in self._warned]
            if log:
                # A warning the first time a field is seen (editors send theirs on every keystroke), then debug.
                logger.log(logging.WARNING if new else logging.DEBUG,
                           "%s request: ignoring field(s) %s (no engine here acts on them)", wire.kind,
                           ", ".join(ignored))
                self._warned.update((wire.kind, name) for name in new)
        if sampling.clamped:
            headers[CLAMPED_HEADER] = sampling.clamped
            if log:
                logger.info("%s request: %s (server limit %d, %d tokens left in the context)", wire.kind,
                            sampling.clamped, self.limits.max_tokens, room)
        return Prepared(served, prompt, prompt_tokens, params, mode, check, header, finish, wire, echo, headers)

    def _suggest(self, prepared: Prepared):
        """The suggestion path (`safecoder.suggest`): draw from the engine, judge, choose."""
        return suggest(self.gate, prepared.mode, prepared.served.engine, prepared.prompt, prepared.sampling,
                       prepared.check, prepared.finish)

    # ----- answers ---------------------------------------------------------------------
    def _body(self, prepared: Prepared, outcomes: list[GateOutcome]) -> dict:
        completion_tokens = sum(o.candidate.token_count for o in outcomes)
        choices = [_choice(i, o, prepared.echo) for i, o in enumerate(outcomes)]
        return prepared.wire.body(prepared.header, choices, prepared.prompt_tokens, completion_tokens)

    async def _held(self, prepared: Prepared) -> AsyncGenerator[str, None]:
        """rerank/block: nothing is shown before the gate has chosen; SSE comments keep the
        connection visibly alive meanwhile (the first one at once: the first byte)."""
        wire, header = prepared.wire, prepared.header
        started = time.perf_counter()
        work = asyncio.ensure_future(self._suggest(prepared))
        try:
            yield responses.KEEP_ALIVE
            while not (await asyncio.wait({work}, timeout=self.keep_alive_s))[0]:
                yield responses.KEEP_ALIVE
            report = work.result()
        finally:
            if not work.done():
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
        elapsed = time.perf_counter() - started
        self._record(prepared, report.outcomes, elapsed, report.seconds)
        self.metrics.time_to_first_token.labels(header.kind).observe(elapsed)
        for index, outcome in enumerate(report.outcomes):
            choice = _choice(index, outcome, "")
            tokens = responses.tokens_of_text(choice.tokens, choice.text)
            for chunk in self._opening(prepared, index):
                yield chunk
            if outcome.text:
                yield wire.text_chunk(header, index, outcome.text, tokens)
            yield wire.final_chunk(header, dataclasses.replace(choice, tokens=()), prepared.prompt_tokens)
        if header.include_usage:
            usage = wire.usage_chunk(header, prepared.prompt_tokens,
                                     sum(o.candidate.token_count for o in report.outcomes))
            if usage:
                yield usage

    async def _live(self, prepared: Prepared) -> AsyncGenerator[str, None]:
        """off/annotate: text flows as generated; each choice's verdict comes with its last chunk."""
        wire, header = prepared.wire, prepared.header
        engine = prepared.served.engine
        n = prepared.sampling.n
        texts: list[list[str]] = [[] for _ in range(n)]
        pending: list[list[TokenLogprob]] = [[] for _ in range(n)]  # log-probabilities not yet sent
        finished: dict[int, tuple[str, int]] = {}
        started = time.perf_counter()
        first_text_at = None
        for index in range(n):
            for chunk in self._opening(prepared, index):
                yield chunk
        stream = engine.stream(GenerationRequest(prepared.prompt, prepared.sampling))
        async with contextlib.aclosing(stream):
            async for delta in stream:
                pending[delta.index].extend(delta.tokens)
                if delta.text:
                    if first_text_at is None:
                        first_text_at = time.perf_counter()
                        self.metrics.time_to_first_token.labels(header.kind).observe(first_text_at - started)
                    texts[delta.index].append(delta.text)
                    yield wire.text_chunk(header, delta.index, delta.text, pending[delta.index])
                    pending[delta.index] = []
                if delta.finish_reason is not None:
                    finished[delta.index] = (delta.finish_reason, delta.token_count)
        generated = time.perf_counter()
        candidates = [Candidate("".join(texts[i]), finished.get(i, ("cancelled", 0))[1],
                                finished.get(i, ("cancelled", 0))[0]) for i in range(n)]
        outcomes = await judge_shown(prepared.mode, prepared.check, candidates)
        gate_seconds = time.perf_counter() - generated
        self._record(prepared, outcomes, generated - started, gate_seconds)
        for index, outcome in enumerate(outcomes):
            choice = dataclasses.replace(_choice(index, outcome, ""), tokens=tuple(pending[index]))
            yield wire.final_chunk(header, choice, prepared.prompt_tokens)
        if header.include_usage:
            usage = wire.usage_chunk(header, prepared.prompt_tokens, sum(c.token_count for c in candidates))
            if usage:
                yield usage

    def _opening(self, prepared: Prepared, index: int) -> list[str]:
        chunks = prepared.wire.opening(prepared.header, index)
        if prepared.echo:
            chunks.append(prepared.wire.text_chunk(prepared.header, index, prepared.echo))
        return chunks

    def _record(self, prepared: Prepared, outcomes: list[GateOutcome], seconds: float, gate_seconds: float) -> None:
        self.metrics.record_gate(outcomes, gate_seconds)
        generated = sum(o.candidate.token_count for o in outcomes)
        self.metrics.generated_tokens.inc(generated)
        self.metrics.prompt_tokens.inc(prepared.prompt_tokens)
        generation_seconds = max(1e-6, seconds - gate_seconds)
        if generated:
            self.metrics.tokens_per_second.observe(generated / generation_seconds)


def _choice(index: int, outcome: GateOutcome, echo: str) -> responses.Choice:
    finish_reason = "stop" if outcome.finish_reason == "cancelled" else outcome.finish_reason
    return responses.Choice(index, outcome.text, finish_reason, outcome.to_dict(),
                            outcome.candidate.tokens if outcome.action != "blocked" else (), echo,
                            outcome.candidate.token_count)


class ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


def _unchanged(text: str, stopped: bool = False) -> tuple[str, bool]:
    return text, False


async def cancel_on_disconnect(coroutine, is_disconnected: Callable[[], Awaitable[object]]):
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
