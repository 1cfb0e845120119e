"""`textDocument/inlineCompletion` (LSP 3.18): ghost text at the cursor.

Input: the document, the cursor, and the trigger kind (automatic while typing, or
invoked by the user). Output: an `InlineCompletionList` with at most one item, the
security gate's choice, inserted at the cursor; an empty list when there is nothing to
show (unsupported language, completions off, superseded by a newer request, the gate
blocked every candidate, the backend failed: the last is reported once to the user).

Automatic requests are debounced; invoked ones are answered at once (`suggestions.py`).
"""

from __future__ import annotations

from lsprotocol import types


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(ls, params: types.InlineCompletionParams) -> types.InlineCompletionList:
        from safecoder.server.lsp.suggestions import suggest

        automatic = params.context is None or params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic
        suggested = await suggest(ls, params.text_document.uri, params.position, automatic=automatic)
        if suggested is None or not suggested.suggestion.shown:
            return types.InlineCompletionList(items=[])
        item = types.InlineCompletionItem(
            insert_text=suggested.suggestion.text,
            range=types.Range(start=params.position, end=params.position),
        )
        return types.InlineCompletionList(items=[item])
