"""One suggestion for a cursor position: window, cache, debounce, generation, gate verdict.

Both completion features (`inline_completion`, `completion`) call `suggest`. Its steps:
1. the completion window around the cursor (`documents.completion_window`), for one of
   the six supported languages (other documents get nothing);
2. the cache of recent completions (exact, or typed ahead along a cached suggestion);
3. for automatic requests, a debounce: the request waits `completion_debounce_ms`, and
   gives way (returns nothing) when a newer request for the same document arrived
   meanwhile; a newer request also cancels an older one's generation;
4. the backend (HTTP server or in-process engine) with the gate mode in effect;
5. cleanup: one line when the cursor sits inside a line, trailing blanks removed, and
   in `block` mode nothing whose gate verdict carries findings.

Cancellation: `$/cancelRequest` cancels the handler's task; the generation awaited
here is cancelled with it (which stops the engine or closes the HTTP request).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace

from lsprotocol import types

from safecoder.server.lsp.backend import BackendError, GenerationQuery, Suggestion
from safecoder.server.lsp.documents import CompletionWindow, completion_window, document_language

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Suggested:
    suggestion: Suggestion
    window: CompletionWindow
    from_cache: bool


async def suggest(server, uri: str, position: types.Position, automatic: bool) -> Suggested | None:
    config = server.config
    if not config.completions:
        return None
    document = server.workspace.get_text_document(uri)
    language = document_language(document)
    if language is None:
        return None
    window = completion_window(document, position, language, config.prefix_chars, config.suffix_chars)
    settings_key = (config.max_tokens, config.temperature, config.gate, config.gate_candidates, window.single_line)
    server.counters.completion_requests += 1
    cached = server.cache.get(language.id, window.prefix, window.suffix, settings_key)
    if cached is not None:
        return Suggested(cached, window, from_cache=True)

    state = server.document_state(uri)
    number = server.next_request_number()
    state.latest_completion = number
    if automatic and config.completion_debounce_ms > 0:
        await asyncio.sleep(config.completion_debounce_ms / 1000)
        if state.latest_completion != number:
            server.counters.superseded += 1
            return None

    try:
        backend = await server.ready_backend()
    except BackendError as exc:
        server.report_backend_error(exc)
        return None
    if state.latest_completion != number:
        server.counters.superseded += 1
        return None
    query = GenerationQuery(
        prompt=window.prefix, suffix=window.suffix, language=language.id, n=1,
        max_tokens=config.max_tokens, temperature=config.temperature,
        stop=("\n",) if window.single_line else ("\n\n",),
        gate=config.gate, gate_candidates=config.gate_candidates,
    )
    generation = asyncio.ensure_future(backend.complete(query))
    previous = state.generation
    if previous is not None and not previous.done():
        previous.cancel()
    state.generation = generation
    server.counters.generations += 1
    try:
        suggestions = await generation
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            server.counters.cancelled += 1
            raise
        server.counters.superseded += 1
        return None
    except BackendError as exc:
        server.report_backend_error(exc)
        return None
    if not suggestions:
        return None
    suggestion = _clean(suggestions[0], window)
    server.counters.gate_actions[suggestion.action] += 1
    if config.gate == "block" and suggestion.findings:
        suggestion = replace(suggestion, text="", action="blocked")
    server.cache.put(language.id, window.prefix, window.suffix, settings_key, suggestion)
    return Suggested(suggestion, window, from_cache=False)


def _clean(suggestion: Suggestion, window: CompletionWindow) -> Suggestion:
    text = suggestion.text
    if window.single_line:
        text = text.split("\n", 1)[0]
    text = text.rstrip()
    return replace(suggestion, text=text) if text != suggestion.text else suggestion
