"""The wire format: OpenAI request models that validate themselves and convert to sampling.

Inputs: JSON bodies of `/v1/completions` and `/v1/chat/completions`. Outputs: validated
pydantic models whose `to_sampling_params(limits)` gives the engine's `SamplingParams`.
Unknown fields are rejected (400 naming the field), parameters are range-checked here,
and OpenAI parameters this server does not implement are accepted only at their
neutral value, with an error naming them otherwise.

SafeCoder's one extension is an optional `safecoder` object in the request:
`{"gate": "off|annotate|rerank|block", "language": "python"}` (with the `openai`
client: `extra_body={"safecoder": {...}}`).

Responses are built as plain dicts by the serving modules (see docs/server.md for their
shape); this module holds no serving logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from safecoder.server.api_errors import APIError

from safecoder.engines.base import SamplingParams

GateModeField = Literal["off", "annotate", "rerank", "block"]
COMPLETION_DEFAULT_MAX_TOKENS = 16


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


class StreamOptions(StrictModel):
    include_usage: bool = False
    continuous_usage_stats: bool = False


StopField = Annotated[str | list[str] | None, Field(default=None)]


class SamplingFields(StrictModel):
    """Parameters shared by both endpoints."""

    model: str = Field(min_length=1, max_length=512)
    n: int = Field(default=1, ge=1, le=256)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    stop: StopField = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(default=None, max_length=256)
    presence_penalty: float = Field(default=0.0, ge=-2.0, le=2.0)
    frequency_penalty: float = Field(default=0.0, ge=-2.0, le=2.0)
    safecoder: SafeCoderOptions | None = None

    @field_validator("stop")
    @classmethod
    def _stop_strings(cls, value):
        if value is None:
            return None
        stops = [value] if isinstance(value, str) else value
        if len(stops) > 4:
            raise ValueError(f"at most 4 stop sequences are allowed, got {len(stops)}")
        if any(not s for s in stops):
            raise ValueError("stop sequences must not be empty strings")
        return stops

    @model_validator(mode="after")
    def _unsupported_values(self):
        for name in ("presence_penalty", "frequency_penalty"):
            if getattr(self, name) != 0.0:
                raise ValueError(f"{name} is not supported by this server; leave it out or set it to 0")
        if self.stream_options is not None and not self.stream:
            raise ValueError("stream_options is only allowed with stream=true")
        return self

    @property
    def gate_override(self) -> str | None:
        return self.safecoder.gate if self.safecoder else None

    @property
    def language(self) -> str | None:
        return self.safecoder.language if self.safecoder else None

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def _sampling(self, max_tokens: int | None, default_max_tokens: int, limits: Limits,
                  max_tokens_field: str) -> SamplingParams:
        if self.n > limits.max_n:
            raise APIError(400, f"n={self.n} is above this server's limit of {limits.max_n}", param="n",
                           code="invalid_value")
        wanted = default_max_tokens if max_tokens is None else max_tokens
        if wanted > limits.max_tokens:
            raise APIError(400, f"{max_tokens_field}={wanted} is above this server's limit of {limits.max_tokens}",
                           param=max_tokens_field, code="invalid_value")
        temperature = 1.0 if self.temperature is None else self.temperature
        return SamplingParams(
            n=self.n,
            temperature=temperature,
            top_p=1.0 if self.top_p is None else self.top_p,
            max_new_tokens=wanted,
            stop=tuple(self.stop or ()),
            seed=self.seed,
        )


class CompletionRequest(SamplingFields):
    prompt: str | list[str]
    suffix: str | None = None
    max_tokens: int | None = Field(default=COMPLETION_DEFAULT_MAX_TOKENS, ge=1)
    echo: bool = False
    logprobs: int | None = None
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
        if self.logprobs is not None:
            raise ValueError("logprobs is not supported by this server; leave it out")
        if self.best_of not in (None, 1):
            raise ValueError("best_of is not supported; the security gate draws candidates itself "
                             "(server option --gate-candidates)")
        if self.echo and self.suffix is not None:
            raise ValueError("echo cannot be combined with suffix")
        return self

    @property
    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]

    def to_sampling_params(self, limits: Limits) -> SamplingParams:
        return self._sampling(self.max_tokens, COMPLETION_DEFAULT_MAX_TOKENS, limits, "max_tokens")


class TextPart(StrictModel):
    type: Literal["text"]
    text: str


class ChatMessage(StrictModel):
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
    logprobs: bool = False

    @model_validator(mode="after")
    def _chat_only(self):
        if self.logprobs:
            raise ValueError("logprobs is not supported by this server; leave it out")
        if self.max_tokens is not None and self.max_completion_tokens is not None:
            raise ValueError("give max_completion_tokens or max_tokens, not both")
        return self

    def template_messages(self) -> list[dict[str, str]]:
        return [message.as_template_message() for message in self.messages]

    def to_sampling_params(self, limits: Limits, default_max_tokens: int) -> SamplingParams:
        requested = self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens
        field_name = "max_completion_tokens" if self.max_completion_tokens is not None else "max_tokens"
        return self._sampling(requested, min(default_max_tokens, limits.max_tokens), limits, field_name)
