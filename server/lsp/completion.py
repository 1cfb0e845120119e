"""`textDocument/completion`: the same suggestion as a completion-list item.

For editors without inline completion (Neovim before 0.12, or users who prefer the
list). Input: the document and the cursor; output: a `CompletionList` with at most one
item that inserts the security gate's choice at the cursor. Its documentation shows the
code and the gate's verdict (action, rejected candidates, CWEs found).

The item's edit range starts at the cursor, so editors do not filter it away against
the word being typed; `isIncomplete` makes them ask again as the user types, which the
cache answers at once while the typing follows the suggestion.
"""

from __future__ import annotations

from lsprotocol import types


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", "("]))
    async def completion(ls, params: types.CompletionParams) -> types.CompletionList:
        from safecoder.server.lsp.suggestions import suggest

        automatic = params.context is None or params.context.trigger_kind != types.CompletionTriggerKind.Invoked
        suggested = await suggest(ls, params.text_document.uri, params.position, automatic=automatic)
        if suggested is None or not suggested.suggestion.shown:
            return types.CompletionList(is_incomplete=True, items=[])
        suggestion = suggested.suggestion
        first_line = suggestion.text.strip().split("\n", 1)[0]
        label = first_line if len(first_line) <= 60 else first_line[:57] + "..."
        fence = suggested.window.language.markdown_tags[0]
        item = types.CompletionItem(
            label=label or "(SafeCoder)",
            kind=types.CompletionItemKind.Snippet,
            detail=f"SafeCoder ({suggestion.action})",
            documentation=types.MarkupContent(
                kind=types.MarkupKind.Markdown,
                value=f"```{fence}\n{suggestion.text}\n```\n\n{suggestion.gate_summary()}",
            ),
            sort_text="0",
            filter_text="",
            insert_text_format=types.InsertTextFormat.PlainText,
            text_edit=types.TextEdit(
                range=types.Range(start=params.position, end=params.position), new_text=suggestion.text,
            ),
        )
        return types.CompletionList(is_incomplete=True, items=[item])
