"""`textDocument/codeAction` "Fix with SafeCoder", and the `safecoder.fix` command behind it.

Input: SafeCoder's diagnostics in the request's context (source "SafeCoder", the CWE as
code). For each, the fix is looked up in a cache keyed by (language, the function's
text, CWE), or computed by `fixes.propose_fix` (`safecoder.repair`, the same path as
`safecoder fix`), which offers only a verified rewrite.

- A verified fix becomes a quick-fix action whose `edit` replaces the function.
- A refused fix becomes a disabled action whose reason says why (e.g. "still has
  CWE-089 (2), does not parse (1)"), for clients that support disabled actions; others
  get the reason through `window/showMessage`.
- Editors ask for code actions automatically whenever the cursor moves
  (`triggerKind` Automatic): then nothing is generated; an uncached fix is offered as
  a command action, and running `safecoder.fix` computes it and applies it through
  `workspace/applyEdit` (or shows why there is none). Explicit requests (the user
  opened the quick-fix menu, or an editor that sends no trigger kind) compute at once;
  `$/cancelRequest` stops the generation.
"""

from __future__ import annotations

import logging

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.protocol import default_converter

from safecoder.analysis.findings import Finding
from safecoder.repair.functions import enclosing_function
from safecoder.server.lsp.diagnostics import SOURCE
from safecoder.server.lsp.documents import document_language
from safecoder.server.lsp.fixes import FixOutcome, propose_fix

logger = logging.getLogger(__name__)

FIX_COMMAND = "safecoder.fix"
TITLE = "Fix with SafeCoder"
# Command arguments travel as plain JSON; this turns a diagnostic into it.
_CONVERTER = default_converter()


def register(server) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    async def code_action(ls, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        if not ls.config.fixes:
            return None
        ours = [d for d in params.context.diagnostics if d.source == SOURCE and d.code]
        if not ours:
            return None
        uri = params.text_document.uri
        automatic = params.context.trigger_kind == types.CodeActionTriggerKind.Automatic
        actions: list[types.CodeAction] = []
        for diagnostic in ours:
            outcome = cached_outcome(ls, uri, diagnostic)
            if outcome is None and automatic:
                actions.append(types.CodeAction(
                    title=f"{TITLE}: {diagnostic.code}", kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                    command=types.Command(title=TITLE, command=FIX_COMMAND, arguments=[uri, _CONVERTER.unstructure(diagnostic)]),
                ))
                continue
            if outcome is None:
                outcome = await compute_fix(ls, uri, diagnostic)
            action = action_for(ls, uri, diagnostic, outcome)
            if action is not None:
                actions.append(action)
        return actions

    @server.command(FIX_COMMAND)
    async def fix_command(ls, uri: str, diagnostic: types.Diagnostic) -> bool:
        outcome = await compute_fix(ls, uri, diagnostic)
        if not outcome.verified:
            ls.show(outcome.reason, types.MessageType.Warning)
            return False
        edit = workspace_edit(ls, uri, outcome)
        if edit is None:
            return False
        result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=TITLE))
        return bool(result.applied)


def finding_for(ls, uri: str, diagnostic: types.Diagnostic) -> Finding:
    """The analyzer's finding behind a diagnostic (from the last analysis when it matches)."""
    document = ls.workspace.get_text_document(uri)
    start = document.position_from_client_units(diagnostic.range.start)
    end = document.position_from_client_units(diagnostic.range.end)
    cwe = str(diagnostic.code)
    state = ls.documents.get(uri)
    if state is not None and state.analysis is not None and state.analysed_source == document.source:
        for finding in state.analysis.findings:
            if finding.cwe == cwe and finding.start_line == start.line + 1:
                return finding
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    return Finding(
        cwe=cwe, rule_id=str(data.get("rule_id", "")), analyzer=str(data.get("analyzer", "")),
        message=diagnostic.message, start_line=start.line + 1, start_column=start.character + 1,
        end_line=end.line + 1, end_column=end.character + 1,
    )


def _fix_key(ls, uri: str, diagnostic: types.Diagnostic) -> tuple | None:
    document = ls.workspace.get_text_document(uri)
    language = document_language(document)
    if language is None:
        return None
    start = document.position_from_client_units(diagnostic.range.start)
    function = enclosing_function(document.source, language, start.line, start.character)
    return (language.id, function.text if function is not None else None, str(diagnostic.code))


def cached_outcome(ls, uri: str, diagnostic: types.Diagnostic) -> FixOutcome | None:
    key = _fix_key(ls, uri, diagnostic)
    return ls.fix_cache.get(key) if key is not None else None


async def compute_fix(ls, uri: str, diagnostic: types.Diagnostic) -> FixOutcome:
    from safecoder.server.lsp.backend import BackendError

    document = ls.workspace.get_text_document(uri)
    language = document_language(document)
    finding = finding_for(ls, uri, diagnostic)
    if language is None:
        return FixOutcome(cwe=finding.cwe, function=None, reason="SafeCoder does not support this document's language")
    try:
        backend = await ls.ready_backend()
    except BackendError as exc:
        return FixOutcome(cwe=finding.cwe, function=None, reason=str(exc))
    config = ls.config
    outcome = await propose_fix(backend, document.source, language, finding, config.fix_candidates,
                                config.fix_max_tokens, config.fix_temperature)
    key = _fix_key(ls, uri, diagnostic)
    if key is not None and outcome.function is not None:
        ls.fix_cache[key] = outcome
    if outcome.verified:
        ls.counters.fixes_offered += 1
    else:
        ls.counters.fixes_refused += 1
    logger.info("fix for %s in %s: %s", finding.cwe, uri, outcome.reason)
    return outcome


def workspace_edit(ls, uri: str, outcome: FixOutcome) -> types.WorkspaceEdit | None:
    """The edit replacing the function, if the document still holds it where it was found."""
    document = ls.workspace.get_text_document(uri)
    function, replacement = outcome.function, outcome.replacement
    if function is None or replacement is None:
        raise ValueError(f"only a verified fix has an edit; this one is not ({outcome.reason})")
    source = document.source
    start = function.start
    if source[start:function.end] != function.text:
        start = source.find(function.text)
        if start == -1:
            return None
    start_position = document.client_position_at_offset(start)
    end_position = document.client_position_at_offset(start + len(function.text))
    edit = types.TextEdit(range=types.Range(start=start_position, end=end_position), new_text=replacement)
    if get_capability(ls.client_capabilities, "workspace.workspace_edit.document_changes", False):
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=document.version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=identifier, edits=[edit])])
    return types.WorkspaceEdit(changes={uri: [edit]})


def action_for(ls, uri: str, diagnostic: types.Diagnostic, outcome: FixOutcome) -> types.CodeAction | None:
    if outcome.verified:
        edit = workspace_edit(ls, uri, outcome)
        if edit is not None:
            return types.CodeAction(
                title=f"{TITLE}: {outcome.cwe} (verified: no longer found, still parses)",
                kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic], is_preferred=True, edit=edit,
            )
    if get_capability(ls.client_capabilities, "text_document.code_action.disabled_support", False):
        return types.CodeAction(
            title=f"{TITLE}: {outcome.cwe}", kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
            disabled=types.CodeActionDisabled(reason=outcome.reason or "the function changed since it was analysed"),
        )
    ls.show(outcome.reason or "the function changed since it was analysed", types.MessageType.Warning)
    return None
