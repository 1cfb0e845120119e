"""OpenAI response and stream-chunk bodies for completions and chat, with the gate's fields.

Inputs: what serving produced (`Choice`s: text, finish reason, the gate's verdict, token
log-probabilities; token counts). Outputs: plain dicts in the OpenAI shapes
(`text_completion`, `chat.completion`, their chunks) plus SafeCoder's additive fields:
`"safecoder"` on each choice (the gate's verdict) and on the response (`{"gate": mode,
"model_version": ...}`). Server-sent events are framed by `sse`; `KEEP_ALIVE` is an SSE
comment, which every SSE parser skips, sent while the gate works on a held stream.

A `Wire` is one endpoint's answer format. `CompletionWire` and `ChatWire` are OpenAI's;
`FimWire` is Mistral's `/v1/fim/completions` (chat-shaped, and every delta carries a
`content` string, which Tabby's client requires); llama.cpp's `/infill` has its own in
`safecoder.server.llamacpp_infill`. Building dicts directly keeps the per-request
overhead small; the shapes are documented in docs/server.md. No logic beyond formatting.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from safecoder.engines.base import TokenLogprob

DONE = "data: [DONE]\n\n"
# Not ": ping": Continue's SSE parser (core/llm/stream.ts) takes a ": ping" line for the end.
KEEP_ALIVE = ": keep-alive\n\n"


@dataclass
class ResponseHeader:
    """Fields every body and chunk of one response repeats."""

    kind: str  # the wire's kind: "completion", "chat", "fim" or "infill"
    model: str
    gate: str
    model_version: str | None
    id: str = field(default="")
    created: int = field(default_factory=lambda: int(time.time()))
    include_usage: bool = False  # stream_options.include_usage: every chunk has "usage" (null but the last)
    logprobs: int | None = None  # per-token log-probabilities asked for (alternatives per token)

    def __post_init__(self) -> None:
        if not self.id:
            self.id = ("cmpl-" if self.kind == "completion" else "chatcmpl-") + uuid.uuid4().hex

    def base(self, object_name: str) -> dict[str, Any]:
        body = {"id": self.id, "object": object_name, "created": self.created, "model": self.model,
                "safecoder": {"gate": self.gate, "model_version": self.model_version}}
        if self.include_usage:  # set on streams only; the last chunk fills it in
            body["usage"] = None
        return body


@dataclass(frozen=True)
class Choice:
    """One finished choice as serving hands it to a wire."""

    index: int
    text: str
    finish_reason: str
    gate: dict
    tokens: tuple[TokenLogprob, ...] = ()
    echo: str = ""
    token_count: int = 0


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def tokens_of_text(tokens: Sequence[TokenLogprob], text: str) -> tuple[TokenLogprob, ...]:
    """The tokens that make up `text`: those starting before its end (stop strings and
    fill-in-the-middle trimming cut the text after the tokens were sampled)."""
    kept, offset = [], 0
    for token in tokens:
        if offset >= len(text):
            break
        kept.append(token)
        offset += len(token.token)
    return tuple(kept)


def completion_logprobs(tokens: Sequence[TokenLogprob], offset: int = 0) -> dict:
    """The legacy completions shape: parallel lists, alternatives as {token: logprob}."""
    offsets = []
    for token in tokens:
        offsets.append(offset)
        offset += len(token.token)
    return {"tokens": [t.token for t in tokens], "token_logprobs": [t.logprob for t in tokens],
            "top_logprobs": [dict(t.top) for t in tokens], "text_offset": offsets}


def chat_logprobs(tokens: Sequence[TokenLogprob]) -> dict:
    def entry(text: str, logprob: float) -> dict:
        return {"token": text, "logprob": logprob, "bytes": list(text.encode("utf-8"))}

    return {"content": [{**entry(t.token, t.logprob), "top_logprobs": [entry(a, lp) for a, lp in t.top]}
                        for t in tokens]}


def sse(body: dict) -> str:
    return f"data: {json.dumps(body, ensure_ascii=False, separators=(',', ':'))}\n\n"


class Wire(Protocol):
    """One endpoint's answer format (see the module docstring)."""

    kind: str

    @property
    def done(self) -> str | None:  # the stream's last event ("data: [DONE]"), or None
        ...

    def opening(self, header: ResponseHeader, index: int) -> list[str]: ...

    def text_chunk(self, header: ResponseHeader, index: int, text: str,
                   tokens: Sequence[TokenLogprob] = ()) -> str: ...

    def final_chunk(self, header: ResponseHeader, choice: Choice, prompt_tokens: int) -> str: ...

    def usage_chunk(self, header: ResponseHeader, prompt_tokens: int, completion_tokens: int) -> str | None: ...

    def body(self, header: ResponseHeader, choices: list[Choice], prompt_tokens: int,
             completion_tokens: int) -> dict: ...


class CompletionWire:
    kind = "completion"
    done = DONE

    def opening(self, header, index):
        return []

    def text_chunk(self, header, index, text, tokens=()):
        logprobs = completion_logprobs(tokens) if header.logprobs is not None else None
        return self._chunk(header, index, text, None, None, logprobs)

    def final_chunk(self, header, choice, prompt_tokens):
        logprobs = completion_logprobs(choice.tokens) if header.logprobs is not None and choice.tokens else None
        return self._chunk(header, choice.index, "", choice.finish_reason, choice.gate, logprobs)

    def usage_chunk(self, header, prompt_tokens, completion_tokens):
        body = header.base("text_completion")
        body["choices"] = []
        body["usage"] = usage(prompt_tokens, completion_tokens)
        return sse(body)

    def body(self, header, choices, prompt_tokens, completion_tokens):
        body = header.base("text_completion")
        body["choices"] = [self._choice(c.index, c.echo + c.text, c.finish_reason, c.gate,
                                        completion_logprobs(tokens_of_text(c.tokens, c.text), len(c.echo))
                                        if header.logprobs is not None else None) for c in choices]
        body["usage"] = usage(prompt_tokens, completion_tokens)
        return body

    def _chunk(self, header, index, text, finish_reason, gate, logprobs):
        body = header.base("text_completion")
        body["choices"] = [self._choice(index, text, finish_reason, gate, logprobs)]
        return sse(body)

    @staticmethod
    def _choice(index, text, finish_reason, gate, logprobs):
        choice = {"index": index, "text": text, "logprobs": logprobs, "finish_reason": finish_reason}
        if gate is not None:
            choice["safecoder"] = gate
        return choice


class ChatWire:
    kind = "chat"
    done = DONE
    object_name = "chat.completion"
    final_content: ClassVar[str | None] = None  # the last delta's content (None: an empty delta)

    def opening(self, header, index):
        return [self._chunk(header, index, {"role": "assistant", "content": ""})]

    def text_chunk(self, header, index, text, tokens=()):
        return self._chunk(header, index, {"content": text},
                           logprobs=chat_logprobs(tokens) if header.logprobs is not None else None)

    def final_chunk(self, header, choice, prompt_tokens):
        logprobs = chat_logprobs(choice.tokens) if header.logprobs is not None and choice.tokens else None
        delta = {} if self.final_content is None else {"content": self.final_content}
        return self._chunk(header, choice.index, delta, choice.finish_reason, choice.gate, logprobs)

    def usage_chunk(self, header, prompt_tokens, completion_tokens):
        body = header.base(self.object_name + ".chunk")
        body["choices"] = []
        body["usage"] = usage(prompt_tokens, completion_tokens)
        return sse(body)

    def body(self, header, choices, prompt_tokens, completion_tokens):
        body = header.base(self.object_name)
        body["choices"] = [{"index": c.index, "message": {"role": "assistant", "content": c.text},
                            "logprobs": chat_logprobs(tokens_of_text(c.tokens, c.text))
                            if header.logprobs is not None else None,
                            "finish_reason": c.finish_reason, "safecoder": c.gate} for c in choices]
        body["usage"] = usage(prompt_tokens, completion_tokens)
        return body

    def _chunk(self, header, index, delta, finish_reason=None, gate=None, logprobs=None):
        body = header.base(self.object_name + ".chunk")
        choice = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish_reason}
        if gate is not None:
            choice["safecoder"] = gate
        body["choices"] = [choice]
        return sse(body)


class FimWire(ChatWire):
    """Mistral's `/v1/fim/completions`: chat-shaped; the last delta has `content: ""` too."""

    kind = "fim"
    final_content = ""
