"""llama.cpp's `POST /infill` (llama.vim, llama.vscode), answered through the completions path.

Input: llama.cpp's infill body: `input_prefix` (the lines before the cursor), `prompt`
(the current line up to the cursor), `input_suffix` (the rest), `input_extra` (chunks
of other files), `n_predict` (-1: as many as allowed; 0: generate nothing, which
llama.vim sends to warm llama.cpp's prompt cache), llama.cpp's sampling fields
(`temperature` 0.8, `top_k` 40, `top_p` 0.95, `min_p` 0.05 by default, `repeat_penalty`,
`presence_penalty`, `frequency_penalty`, `stop`, `seed` (-1: random), `ignore_eos`,
`logit_bias`), `stream`, and `response_fields`. It becomes a `CompletionRequest` with
prefix `input_prefix + prompt` and suffix `input_suffix`, so the security gate judges
the real code around the cursor.

Output (`InfillWire`): llama.cpp's completion shape, `{"content", "stop": true,
"stop_type", "tokens_predicted", "tokens_evaluated", "timings": {...}, "truncated",
"tokens_cached", "generation_settings", ...}` plus the gate's `"safecoder"` field;
`response_fields: ["content", "timings/prompt_n", ...]` returns only those, flattened
under their paths, as llama.cpp does. Streams send `data: {"content": "...", "stop":
false}` events and the full body last, with `"stop": true` (no `[DONE]`, like
llama.cpp's own endpoints).

Not here: the per-request switch of llama.cpp's prompt cache (`cache_prompt`: the llama.cpp
engine reuses a shared prefix's KV cache for every request), its time limits (`t_max_prompt_ms`,
`t_max_predict_ms`), slots, the `samplers` order, `n_indent`, `n_probs`, and
`input_extra` (other files): accepted and ignored, named in `X-SafeCoder-Ignored-Fields`.
`timings` reports the whole request as prediction time (the engines do not time
prefill apart), and `tokens_cached` is 0.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from safecoder.server.api_errors import from_validation_errors
from safecoder.server.protocol import (
    MIN_REPETITION_PENALTY,
    SEED_RANGE,
    CompletionRequest,
    SafeCoderOptions,
)
from safecoder.server.responses import Choice, ResponseHeader, sse

_STOP_TYPES = {"stop": "eos", "length": "limit", "content_filter": "none"}


class ExtraChunk(BaseModel):
    model_config = ConfigDict(extra="ignore")

    filename: str = ""
    text: str = ""


class InfillRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    input_prefix: str = ""
    input_suffix: str = ""
    input_extra: list[ExtraChunk] | None = None
    prompt: str = ""
    n_predict: int = Field(default=-1, ge=-1)
    temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    top_k: int = Field(default=40, ge=-1)
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    min_p: float = Field(default=0.05, ge=0.0, le=1.0)
    repeat_penalty: float = Field(default=1.0, ge=MIN_REPETITION_PENALTY, le=10.0)
    presence_penalty: float = Field(default=0.0, ge=-2.0, le=2.0)
    frequency_penalty: float = Field(default=0.0, ge=-2.0, le=2.0)
    stop: list[str] = Field(default_factory=list)
    stream: bool = False
    seed: int = Field(default=-1, ge=SEED_RANGE[0], le=SEED_RANGE[1])
    ignore_eos: bool = False
    # llama.cpp takes [[token, bias], ...] (bias false: never) or {"token": bias}.
    logit_bias: list[list[Any]] | dict[str, float] | None = None
    response_fields: list[str] | None = None
    model: str = ""
    safecoder: SafeCoderOptions | None = None

    def to_completion_request(self, max_tokens_limit: int) -> CompletionRequest:
        data: dict[str, Any] = {
            **(self.model_extra or {}),
            "model": self.model, "prompt": self.input_prefix + self.prompt, "suffix": self.input_suffix,
            "max_tokens": self.n_predict if self.n_predict > 0 else max_tokens_limit,
            "temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k, "min_p": self.min_p,
            "repetition_penalty": self.repeat_penalty, "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty, "stop": self.stop or None, "stream": self.stream,
            "seed": None if self.seed == -1 else self.seed, "ignore_eos": self.ignore_eos,
            "logit_bias": _biases(self.logit_bias),
        }
        if self.safecoder is not None:
            data["safecoder"] = self.safecoder.model_dump(exclude_none=True)
        if self.input_extra:
            data["input_extra"] = "ignored"  # listed in X-SafeCoder-Ignored-Fields
        try:
            return CompletionRequest.model_validate(data)
        except ValidationError as exc:  # reported like any other bad field (400), never as a crash
            raise from_validation_errors(exc.errors()) from None


def _biases(value) -> dict[str, float] | None:
    if not value:
        return None
    if isinstance(value, dict):
        return value
    biases = {}
    for pair in value:
        if (len(pair) != 2 or not isinstance(pair[0], int) or isinstance(pair[0], bool)
                or not (pair[1] is False or (isinstance(pair[1], (int, float)) and not isinstance(pair[1], bool)))):
            from safecoder.server.api_errors import APIError

            raise APIError(400, f"logit_bias entries are [token id, bias] pairs (bias a number, or "
                                f"false for never), got {pair!r}", param="logit_bias")
        biases[str(pair[0])] = -100.0 if pair[1] is False else float(pair[1])
    return biases


class InfillWire:
    """llama.cpp's answer shape for one `/infill` request (see the module docstring)."""

    kind = "infill"
    done = None

    def __init__(self, request: InfillRequest, model: str):
        self.request = request
        self.model = model
        self.started = time.perf_counter()

    def opening(self, header: ResponseHeader, index: int) -> list[str]:
        return []

    def text_chunk(self, header: ResponseHeader, index: int, text: str, tokens=()) -> str:
        return sse({"index": index, "content": text, "tokens": [], "stop": False, "id_slot": 0})

    def final_chunk(self, header: ResponseHeader, choice: Choice, prompt_tokens: int) -> str:
        return sse(self._answer(header, "", choice, prompt_tokens))

    def usage_chunk(self, header: ResponseHeader, prompt_tokens: int, completion_tokens: int) -> None:
        return None

    def body(self, header: ResponseHeader, choices: list[Choice], prompt_tokens: int, completion_tokens: int) -> dict:
        return self._answer(header, choices[0].text, choices[0], prompt_tokens)

    def empty(self) -> dict:
        """The answer to `n_predict: 0`: nothing generated."""
        return self._select({"index": 0, "content": "", "tokens": [], "id_slot": 0, "stop": True, "model": self.model,
                             "tokens_predicted": 0, "tokens_evaluated": 0, "stop_type": "limit", "stopping_word": "",
                             "truncated": False, "tokens_cached": 0, "has_new_line": False,
                             "timings": self._timings(0, 0)})

    def _answer(self, header: ResponseHeader, content: str, choice: Choice, prompt_tokens: int) -> dict:
        request = self.request
        return self._select({
            "index": 0, "content": content, "tokens": [], "id_slot": 0, "stop": True, "model": header.model,
            "tokens_predicted": choice.token_count, "tokens_evaluated": prompt_tokens,
            "generation_settings": {"n_predict": request.n_predict, "temperature": request.temperature,
                                    "top_k": request.top_k, "top_p": request.top_p, "min_p": request.min_p,
                                    "seed": request.seed, "stop": request.stop},
            "prompt": "", "has_new_line": "\n" in choice.text, "truncated": False,
            "stop_type": _STOP_TYPES.get(choice.finish_reason, "eos"), "stopping_word": "", "tokens_cached": 0,
            "timings": self._timings(prompt_tokens, choice.token_count),
            "safecoder": {**choice.gate, "gate": header.gate, "model_version": header.model_version},
        })

    def _timings(self, prompt_tokens: int, predicted: int) -> dict:
        elapsed_ms = 1000 * (time.perf_counter() - self.started)
        return {"prompt_n": prompt_tokens, "prompt_ms": 0.0, "prompt_per_token_ms": 0.0, "prompt_per_second": 0.0,
                "predicted_n": predicted, "predicted_ms": elapsed_ms,
                "predicted_per_token_ms": elapsed_ms / predicted if predicted else 0.0,
                "predicted_per_second": 1000 * predicted / elapsed_ms if elapsed_ms and predicted else 0.0}

    def _select(self, answer: dict) -> dict:
        """`response_fields`: only those paths ("timings/prompt_n"), flattened; the verdict stays."""
        fields = self.request.response_fields
        if not fields:
            return answer
        selected = {}
        for path in fields:
            value: Any = answer
            for part in path.split("/"):
                if not isinstance(value, dict) or part not in value:
                    break
                value = value[part]
            else:
                selected[path] = value
        if "safecoder" in answer:
            selected["safecoder"] = answer["safecoder"]
        return selected
