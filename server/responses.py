"""OpenAI response and stream-chunk bodies for completions and chat, with the gate's fields.

Inputs: what serving produced (texts, finish reasons, `GateOutcome`s, token counts).
Outputs: plain dicts in the OpenAI shapes (`text_completion`, `chat.completion`, their
chunks) plus SafeCoder's additive fields: `"safecoder"` on each choice (the gate's
verdict) and on the response (`{"gate": mode, "model_version": ...}`). Server-sent
events are framed by `sse`. Building dicts directly keeps the per-request overhead small;
the shapes are documented in docs/server.md. No logic beyond formatting.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

DONE = "data: [DONE]\n\n"


@dataclass
class ResponseHeader:
    """Fields every body and chunk of one response repeats."""

    kind: str  # "completion" or "chat"
    model: str
    gate: str
    model_version: str | None
    id: str = field(default="")
    created: int = field(default_factory=lambda: int(time.time()))

    def __post_init__(self) -> None:
        if not self.id:
            self.id = ("cmpl-" if self.kind == "completion" else "chatcmpl-") + uuid.uuid4().hex

    def base(self, object_name: str) -> dict[str, Any]:
        return {"id": self.id, "object": object_name, "created": self.created, "model": self.model,
                "safecoder": {"gate": self.gate, "model_version": self.model_version}}


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def completion_body(header: ResponseHeader, choices: list[dict], prompt_tokens: int, completion_tokens: int) -> dict:
    body = header.base("text_completion")
    body["choices"] = choices
    body["usage"] = usage(prompt_tokens, completion_tokens)
    return body


def completion_choice(index: int, text: str, finish_reason: str | None, gate: dict | None) -> dict:
    choice = {"index": index, "text": text, "logprobs": None, "finish_reason": finish_reason}
    if gate is not None:
        choice["safecoder"] = gate
    return choice


def chat_body(header: ResponseHeader, choices: list[dict], prompt_tokens: int, completion_tokens: int) -> dict:
    body = header.base("chat.completion")
    body["choices"] = choices
    body["usage"] = usage(prompt_tokens, completion_tokens)
    return body


def chat_choice(index: int, text: str, finish_reason: str, gate: dict) -> dict:
    return {"index": index, "message": {"role": "assistant", "content": text}, "logprobs": None,
            "finish_reason": finish_reason, "safecoder": gate}


def completion_chunk(header: ResponseHeader, index: int, text: str, finish_reason: str | None = None,
                     gate: dict | None = None) -> str:
    body = header.base("text_completion")
    body["choices"] = [completion_choice(index, text, finish_reason, gate)]
    return sse(body)


def chat_chunk(header: ResponseHeader, index: int, delta: dict, finish_reason: str | None = None,
               gate: dict | None = None) -> str:
    body = header.base("chat.completion.chunk")
    choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
    if gate is not None:
        choice["safecoder"] = gate
    body["choices"] = [choice]
    return sse(body)


def usage_chunk(header: ResponseHeader, prompt_tokens: int, completion_tokens: int) -> str:
    body = header.base("text_completion" if header.kind == "completion" else "chat.completion.chunk")
    body["choices"] = []
    body["usage"] = usage(prompt_tokens, completion_tokens)
    return sse(body)


def sse(body: dict) -> str:
    return f"data: {json.dumps(body, ensure_ascii=False, separators=(',', ':'))}\n\n"
