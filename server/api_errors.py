"""Every failure as OpenAI-style error JSON: one place that maps exceptions to answers.

Output shape (what the `openai` client parses into `APIStatusError`):

    {"error": {"message": "...", "type": "invalid_request_error", "param": "top_p", "code": "..."}}

`to_api_error(exc)` maps any exception: `APIError` keeps its status; request validation
errors become 400 naming the field (`from_validation_errors`); engine errors and other
`SafeCoderError`s (a prompt over the context length, bad sampling values) become 400;
anything unexpected becomes 500 without internals, and is logged with its traceback. Streams use the same body as their last data chunk
before `[DONE]`. This module decides status codes only; it does not log keys or prompts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

logger = logging.getLogger(__name__)


class APIError(Exception):
    """An answer other than 200, with the OpenAI error fields."""

    def __init__(self, status: int, message: str, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def from_validation_errors(errors: Sequence[Mapping[str, Any]]) -> APIError:
    """A pydantic / FastAPI validation failure as one 400 that names the fields."""
    parts, first_param = [], None
    for error in errors[:5]:
        location = [str(p) for p in error.get("loc", ()) if p not in ("body",)]
        param = ".".join(location) or None
        first_param = first_param or param
        kind = error.get("type", "")
        if kind == "extra_forbidden":
            message = f"unknown field {param!r}: it is not part of this endpoint's request"
        elif kind == "json_invalid":
            message = f"the body is not valid JSON ({error.get('ctx', {}).get('error', error.get('msg'))})"
            param = None
        elif kind == "missing":
            message = f"missing required field {param!r}"
        else:
            message = f"{param}: {error.get('msg')}" if param else str(error.get("msg"))
        parts.append(message)
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more problems")
    return APIError(400, "; ".join(parts), param=first_param, code="invalid_request")


def to_api_error(exc: BaseException) -> APIError:
    """The `APIError` an exception stands for (500 for anything unexpected)."""
    from safecoder.engines.base import EngineError, PromptTooLongError
    from safecoder.errors import SafeCoderError

    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, PromptTooLongError):
        return APIError(400, str(exc), param="prompt", code="context_length_exceeded")
    if isinstance(exc, (EngineError, SafeCoderError)):
        return APIError(400, str(exc), code="invalid_request")
    logger.error("request failed", exc_info=exc)
    return APIError(500, f"internal error ({type(exc).__name__}); the server log has the details",
                    "server_error", code="internal_error")
