"""Mistral's fill-in-the-middle endpoint, `POST /v1/fim/completions`, over the completions path.

Input: Mistral's body (`model`, `prompt` = the code before the cursor, `suffix` = the
code after it, `max_tokens`, `min_tokens`, `temperature`, `top_p`, `stop`, `stream`,
`random_seed`), as Continue's and Tabby's Mistral providers send it. Output: a
`CompletionRequest` with the same prompt and suffix, answered in Mistral's shape by
`FimWire` (`chat.completion` with `message.content`; streamed as
`chat.completion.chunk` deltas that always carry a `content` string, then `[DONE]`).
The security gate judges prefix + middle + suffix exactly as for `/v1/completions`.

`min_tokens` is ignored (listed in `X-SafeCoder-Ignored-Fields`); without `max_tokens`
an answer may use the server's limit.
"""

from __future__ import annotations

from pydantic import Field, ValidationError

from safecoder.server.api_errors import from_validation_errors
from safecoder.server.protocol import SEED_RANGE, CompletionRequest, SamplingFields


class FimCompletionRequest(SamplingFields):
    prompt: str
    suffix: str | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    random_seed: int | None = Field(default=None, ge=SEED_RANGE[0], le=SEED_RANGE[1])

    def to_completion_request(self, max_tokens_limit: int) -> CompletionRequest:
        data = self.model_dump(exclude_unset=True, exclude={"random_seed", "max_tokens"})
        data["max_tokens"] = self.max_tokens or max_tokens_limit
        if self.random_seed is not None and self.seed is None:
            data["seed"] = self.random_seed
        try:
            return CompletionRequest.model_validate(data)
        except ValidationError as exc:  # reported like any other bad field (400), never as a crash
            raise from_validation_errors(exc.errors()) from None
