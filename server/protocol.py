"""The wire format: OpenAI request models that validate themselves and convert to sampling.

Inputs: JSON bodies of `/v1/completions` and `/v1/chat/completions`. Outputs: validated
pydantic models whose `to_sampling_params(limits, room)` gives the engine's
`SamplingParams`. Parameters are range-checked here (400 naming the field).

Compatibility with the clients peers serve (vLLM's rules): the common sampling
extensions (`top_k`, `min_p`, `repetition_penalty`, `presence_penalty`,
`frequency_penalty`, `logit_bias`, `ignore_eos`, `seed`) are honoured; up to
`MAX_STOP_SEQUENCES` stop strings; `max_tokens` above the server's limit or the room
left in the context is clamped (the answer then ends with `finish_reason: length`).
Fields this server does not know are ignored and listed in `ignored_fields` (serving
logs them and names them in the `X-SafeCoder-Ignored-Fields` header), except the
fields in `MEANING_FIELDS`: ignoring those would change what the answer means (a tool
call answered with prose, JSON mode answered with free text), so a non-neutral value
is refused with a 400 naming it.

SafeCoder's one extension is an optional `safecoder` object in the request:
`{"gate": "off|annotate|rerank|block", "language": "python"}` (with the `openai`
client: `extra_body={"safecoder": {...}}`).

Responses are built as plain dicts by the serving modules (see docs/server.md for their
shape); this module holds no serving logic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from safecoder.engines.base import SamplingParams
from safecoder.server.api_errors import APIError

GateModeField = Literal["off", "annotate", "rerank", "block"]
COMPLETION_DEFAULT_MAX_TOKENS = 16
MAX_STOP_SEQUENCES = 64  # Continue sends 7-16; OpenAI allows 4, vLLM and llama.cpp any number
MAX_LOGPROBS = 20
# Below these, dividing logits by the value overflows to inf and sampling fails (the fuzzer
# found 500s at repetition_penalty 5e-114); smaller temperatures are served greedily.
MIN_REPETITION_PENALTY = 0.01
MIN_TEMPERATURE = 1e-4
# Seeds arrive as signed (Tabby's chat: i64) or unsigned (Tabby's FIM: u64) 64-bit numbers;
# every one is accepted and folded into the engines' non-negative range.
SEED_RANGE = (-(2**63), 2**64 - 1)

# Fields whose silent omission would change the meaning of the answer, with what a
# neutral (ignorable) value looks like and why they are refused otherwise.
MEANING_FIELDS: dict[str, str] = {
    "tools": "tool calls are not served; leave out `tools`",
    "tool_choice": "tool calls are not served; leave out `tool_choice`",
    "functions": "function calls are not served; leave out `functions`",
    "function_call": "function calls are not served; leave out `function_call`",
    "response_format": "structured output (JSON mode, schemas) is not served; leave out `response_format`",
    "grammar": "grammar-constrained decoding is not served; leave out `grammar`",
    "json_schema": "schema-constrained decoding is not served; leave out `json_schema`",
    "guided_json": "guided decoding is not served", "guided_regex": "guided decoding is not served",
    "guided_choice": "guided decoding is not served", "guided_grammar": "guided decoding is not served",
    "include_stop_str_in_output": "stop strings are never part of the text here; leave it out",
}


def lone_surrogate_at(value, path: str = "") -> str | None:
    """The path of the first string in a parsed JSON body holding a lone UTF-16 surrogate, or None.

    JSON's `\\ud800` escapes decode to such strings; they are not Unicode text, and the
    tokenizers fail on them (a 500 before this check, found by the fuzzer)."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and _SURROGATE.search(key):
            return f"{path}.{key!a}" if path else ascii(key)
        found = lone_surrogate_at(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _neutral(name: str, value) -> bool:
    """Whether a `MEANING_FIELDS` value asks for nothing (so ignoring it changes nothing)."""
    if value in (None, [], {}, False, ""):
        return True
    if name == "tool_choice" or name == "function_call":
        return value == "none"
    if name == "response_format":
        return isinstance(value, dict) and value.get("type") == "text"
    return False


@dataclass(frozen=True)
class Limits:
    """The server's limits a request is checked against (from `ServerConfig`)."""

    max_tokens: int
    max_n: int


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SafeCoderOptions(StrictModel):
    gate: GateModeField | None = None
    language: str | None = Field(default=None, max_length=32)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from safecoder.languages import maybe_language_of

        language = maybe_language_of(value)
        if language is None:
            raise ValueError(f"unknown language {value!r}; use python, c, go, java, javascript or ruby")
        return language.id


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False
    continuous_usage_stats: bool = False


StopField = Annotated[str | list[str] | None, Field(default=None)]


class SamplingFields(BaseModel):
    """Parameters shared by every generating endpoint; unknown fields are collected, not refused."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(default="", max_length=512)
    n: int = Field(default=1, ge=1, le=256)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    stop: StopField = None
    seed: int | None = Field(default=None, ge=SEED_RANGE[0], le=SEED_RANGE[1])
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(default=None, max_length=256)
    top_k: int | None = Field(default=None, ge=-1)
    min_p: float | None = Field(default=None, ge=0.0, le=1.0)
    repetition_penalty: float | None = Field(default=None, ge=MIN_REPETITION_PENALTY, le=10.0)
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    logit_bias: dict[str, float] | None = None
    ignore_eos: bool = False
    safecoder: SafeCoderOptions | None = None

    @model_validator(mode="before")
    @classmethod
    def _unicode_text(cls, data):
        where = lone_surrogate_at(data)
        if where is not None:
            raise ValueError(f"{where} holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), "
                             "which is not Unicode text; send valid UTF-8")
        return data

    @field_validator("stop")
    @classmethod
    def _stop_strings(cls, value):
        if value is None:
            return None
        stops = [value] if isinstance(value, str) else value
        if len(stops) > MAX_STOP_SEQUENCES:
            raise ValueError(f"at most {MAX_STOP_SEQUENCES} stop sequences are allowed, got {len(stops)}")
        # An empty stop string would end every answer at once; peers drop them, so do we.
        return [s for s in stops if s] or None

    @field_validator("logit_bias")
    @classmethod
    def _token_biases(cls, value):
        if not value:
            return None
        for token, bias in value.items():
            if not token.strip().isdigit():
                raise ValueError(f"logit_bias keys are token ids (\"50256\"), got {token!r}")
            if not -100.0 <= bias <= 100.0:
                raise ValueError(f"logit_bias values must be between -100 and 100, got {bias} for token {token}")
        return value

    @model_validator(mode="after")
    def _meaning_fields(self):
        for name, value in (self.model_extra or {}).items():
            if name in MEANING_FIELDS and not _neutral(name, value):
                raise ValueError(f"{name}: {MEANING_FIELDS[name]}")
        return self

    @property
    def ignored_fields(self) -> list[str]:
        """Fields sent that this server does not act on (besides harmless metadata like `user`)."""
        ignored = sorted(self.model_extra or {})
        if self.stream_options is not None:
            if not self.stream:
                ignored.append("stream_options")
            elif self.stream_options.continuous_usage_stats:
                ignored.append("stream_options.continuous_usage_stats")
        return ignored

    @property
    def gate_override(self) -> GateModeField | None:
        return self.safecoder.gate if self.safecoder else None

    @property
    def language(self) -> str | None:
        return self.safecoder.language if self.safecoder else None

    @property
    def include_usage(self) -> bool:
        return bool(self.stream and self.stream_options and self.stream_options.include_usage)

    @property
    def wanted_logprobs(self) -> int | None:
        """Per-token log-probabilities asked for: None, or how many alternatives per token."""
        return None

    def _sampling(self, max_tokens: int | None, default_max_tokens: int, limits: Limits, room: int,
                  max_tokens_field: str) -> Sampling:
        if self.n > limits.max_n:
            raise APIError(400, f"n={self.n} is above this server's limit of {limits.max_n}", param="n",
                           code="invalid_value")
        wanted = default_max_tokens if max_tokens is None else max_tokens
        allowed = max(1, min(wanted, limits.max_tokens, room))
        temperature = 1.0 if self.temperature is None else self.temperature
        if temperature < MIN_TEMPERATURE:
            temperature = 0.0  # as good as greedy, and dividing logits by it overflows
        params = SamplingParams(
            n=self.n,
            temperature=temperature,
            top_p=1.0 if self.top_p is None else self.top_p,
            max_new_tokens=allowed,
            stop=tuple(self.stop or ()),
            seed=None if self.seed is None else self.seed % 2**63,
            top_logprobs=self.wanted_logprobs,
            top_k=max(0, self.top_k or 0),
            min_p=self.min_p or 0.0,
            repetition_penalty=self.repetition_penalty or 1.0,
            presence_penalty=self.presence_penalty or 0.0,
            frequency_penalty=self.frequency_penalty or 0.0,
            logit_bias=tuple((int(t), b) for t, b in (self.logit_bias or {}).items()),
            ignore_eos=self.ignore_eos,
        )
        clamped = f"{max_tokens_field}={wanted}->{allowed}" if max_tokens is not None and allowed < wanted else None
        return Sampling(params, clamped)


@dataclass(frozen=True)
class Sampling:
    """What a request asks of the engine, and how its `max_tokens` was clamped (if it was)."""

    params: SamplingParams
    clamped: str | None = None


class CompletionRequest(SamplingFields):
    prompt: str | list[str]
    suffix: str | None = None
    max_tokens: int | None = Field(default=COMPLETION_DEFAULT_MAX_TOKENS, ge=1)
    echo: bool = False
    logprobs: int | None = Field(default=None, ge=0, le=MAX_LOGPROBS)
    best_of: int | None = None

    @field_validator("prompt")
    @classmethod
    def _one_prompt(cls, value):
        if isinstance(value, list):
            if len(value) != 1:
                raise ValueError(f"send one prompt per request (got a list of {len(value)})")
            return value[0]
        return value

    @model_validator(mode="after")
    def _completion_only(self):
        if self.best_of not in (None, 1):
            raise ValueError("best_of is not supported; the security gate draws candidates itself "
                             "(server option --gate-candidates)")
        if self.echo and self.suffix is not None:
            raise ValueError("echo cannot be combined with suffix")
        return self

    @property
    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]

    @property
    def wanted_logprobs(self) -> int | None:
        return self.logprobs

    def to_sampling_params(self, limits: Limits, room: int) -> Sampling:
        return self._sampling(self.max_tokens, COMPLETION_DEFAULT_MAX_TOKENS, limits, room, "max_tokens")


class TextPart(StrictModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    # Clients add fields of their own to messages (ids, timestamps); they carry no meaning here.
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: str | None = None

    def as_template_message(self) -> dict[str, str]:
        content = self.content if isinstance(self.content, str) else "".join(p.text for p in self.content)
        return {"role": "system" if self.role == "developer" else self.role, "content": content}


class ChatCompletionRequest(SamplingFields):
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    logprobs: bool | None = False
    top_logprobs: int | None = Field(default=None, ge=0, le=MAX_LOGPROBS)

    @model_validator(mode="after")
    def _chat_only(self):
        if self.top_logprobs and not self.logprobs:
            raise ValueError("top_logprobs needs logprobs=true")
        if self.max_tokens is not None and self.max_completion_tokens is not None:
            raise ValueError("give max_completion_tokens or max_tokens, not both")
        return self

    @property
    def wanted_logprobs(self) -> int | None:
        return (self.top_logprobs or 0) if self.logprobs else None

    def template_messages(self) -> list[dict[str, str]]:
        return [message.as_template_message() for message in self.messages]

    def to_sampling_params(self, limits: Limits, room: int) -> Sampling:
        requested = self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens
        field_name = "max_completion_tokens" if self.max_completion_tokens is not None else "max_tokens"
        # Without a limit a chat answer may use the rest of the context (up to the server's limit).
        return self._sampling(requested, max(1, room), limits, room, field_name)
