"""Suggestions from a SafeCoder HTTP server, through the official `openai` client.

Input: the server's URL (with or without `/v1`) and an API key (sent as a Bearer
token); each `GenerationQuery` becomes one `POST /v1/completions` with `prompt`,
`suffix` (fill-in-the-middle), `max_tokens`, `temperature`, `stop` and `n`, plus the
server's extension `safecoder: {"gate": ..., "language": ...}` (the editor's gate mode;
a server started without per-request gate modes answers 400, and from then on the
request goes without it). Output: one
`Suggestion` per choice, carrying the server gate's verdict from the choice's
`safecoder` field (`action`, `findings`, `candidates`, `rejected`); a server that sends
no such field yields `unchecked` suggestions.

Interactive use shapes the client: no retries (a stale completion is worthless), a
short timeout, and cancellation that closes the HTTP request, which makes the server
cancel the generation. Errors become a `BackendError` whose message says what to fix
(the URL, the key, the model name).

Not here: choosing among candidates. The server's gate does that; this module only
reads its verdict.
"""

from __future__ import annotations

import logging
from typing import Any

from safecoder.analysis.findings import Finding
from safecoder.server.lsp.backend import (
    BackendError,
    CompletionBackend,
    GenerationQuery,
    Suggestion,
)

logger = logging.getLogger(__name__)

_ACTIONS = {"passed", "reranked", "annotated", "blocked", "unchecked"}


def api_base(server_url: str) -> str:
    """`http://host:8000` or `http://host:8000/v1/` -> `http://host:8000/v1`."""
    url = server_url.rstrip("/")
    return url if url.endswith("/v1") else f"{url}/v1"


class RemoteBackend(CompletionBackend):
    def __init__(self, server_url: str, api_key: str | None, model: str = "default", timeout_s: float = 30.0):
        import openai

        self._base_url = api_base(server_url)
        self._requested_model = model
        self._model: str | None = None
        # The openai client refuses an empty key; a server without keys ignores this one.
        self._client = openai.AsyncOpenAI(
            base_url=self._base_url, api_key=api_key or "no-key", max_retries=0, timeout=timeout_s,
        )
        self._has_key = bool(api_key)
        self._gate_override = True

    @property
    def description(self) -> str:
        return f"SafeCoder server at {self._base_url} (model {self._model or self._requested_model})"

    async def start(self) -> None:
        await self._model_name()

    async def complete(self, query: GenerationQuery) -> list[Suggestion]:
        model = await self._model_name()
        arguments: dict[str, Any] = dict(
            model=model, prompt=query.prompt, max_tokens=query.max_tokens,
            temperature=query.temperature, n=query.n,
        )
        if query.suffix is not None:
            arguments["suffix"] = query.suffix
        if query.stop:
            arguments["stop"] = list(query.stop)[:4]  # the OpenAI API accepts at most four
        if query.seed is not None:
            arguments["seed"] = query.seed
        # The gate mode travels with the request; fix candidates ask for none (`off`), since
        # the language server verifies them itself.
        options: dict[str, Any] = {"language": query.language}
        if self._gate_override:
            options["gate"] = query.gate or "off"
        try:
            response = await self._call(self._client.completions.create(**arguments, extra_body={"safecoder": options}))
        except _GateOverrideRefused:
            logger.warning("the server at %s does not let requests choose the gate mode; using its own",
                           self._base_url)
            self._gate_override = False
            return await self.complete(query)
        return [_suggestion(choice) for choice in sorted(response.choices, key=lambda c: c.index)]

    async def close(self) -> None:
        await self._client.close()

    async def _model_name(self) -> str:
        """The model to ask for: the configured name, or the first the server serves."""
        if self._model is not None:
            return self._model
        if self._requested_model not in ("", "default"):
            self._model = self._requested_model
            return self._model
        page = await self._call(self._client.models.list())
        served = [model.id for model in page.data]
        if not served:
            raise BackendError(f"the SafeCoder server at {self._base_url} serves no model")
        first: str = served[0]
        self._model = first
        return first

    async def _call(self, awaitable):
        import openai

        try:
            return await awaitable
        except openai.AuthenticationError:
            hint = "the API key was refused" if self._has_key else "the server requires an API key"
            raise BackendError(
                f"SafeCoder server at {self._base_url}: {hint}; set the key with the editor's "
                "'SafeCoder: Set API Key' command (or the SAFECODER_API_KEY environment variable)"
            ) from None
        except openai.NotFoundError as exc:
            raise BackendError(
                f"SafeCoder server at {self._base_url} answered 404 ({_message(exc)}); check the server URL "
                "and the model setting"
            ) from None
        except openai.RateLimitError:
            raise BackendError(f"SafeCoder server at {self._base_url} is busy or rate-limited (429)") from None
        except openai.APITimeoutError:
            raise BackendError(f"SafeCoder server at {self._base_url} did not answer in time") from None
        except openai.APIConnectionError:
            raise BackendError(
                f"cannot reach the SafeCoder server at {self._base_url}; start it with `safecoder serve` "
                "or fix the server URL setting"
            ) from None
        except openai.BadRequestError as exc:
            if _parameter(exc) == "safecoder.gate":
                raise _GateOverrideRefused() from None
            raise BackendError(
                f"SafeCoder server at {self._base_url} refused the request (400: {_message(exc)})"
            ) from None
        except openai.APIStatusError as exc:
            raise BackendError(
                f"SafeCoder server at {self._base_url} refused the request ({exc.status_code}: {_message(exc)})"
            ) from None


class _GateOverrideRefused(Exception):
    """The server answered 400 to the request's `safecoder.gate` (it was started without overrides)."""


def _parameter(exc: Any) -> str | None:
    body = getattr(exc, "body", None)
    error = body.get("error", body) if isinstance(body, dict) else None
    return error.get("param") if isinstance(error, dict) else None


def _suggestion(choice: Any) -> Suggestion:
    verdict = (choice.model_extra or {}).get("safecoder") or {}
    action = verdict.get("action", "unchecked")
    if action not in _ACTIONS:
        logger.warning("the server sent an unknown gate action %r; treating it as unchecked", action)
        action = "unchecked"
    if choice.finish_reason == "content_filter":
        action = "blocked"
    findings = tuple(_finding(item) for item in verdict.get("findings", ()) if isinstance(item, dict))
    return Suggestion(
        text=choice.text or "",
        action=action,
        findings=tuple(f for f in findings if f is not None),
        candidates=int(verdict.get("candidates", 1) or 1),
        rejected=int(verdict.get("rejected", 0) or 0),
    )


def _finding(item: dict[str, Any]) -> Finding | None:
    known = set(Finding.__dataclass_fields__)
    try:
        return Finding.from_dict({key: value for key, value in item.items() if key in known})
    except TypeError:
        logger.warning("ignoring a malformed finding from the server: %r", item)
        return None


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(exc)
