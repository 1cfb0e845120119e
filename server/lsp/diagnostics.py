"""CWE diagnostics: analyse documents on open, change (debounced) and save; publish findings.

Input: the documents pygls keeps in sync. Each analysis runs the analysis fast path
(`safecoder.analysis.analyze_snippet`, in-process and thread-safe) in a worker thread
on a snapshot of the text, and publishes `textDocument/publishDiagnostics` for that
snapshot's version, unless a newer change already replaced it.

Each finding becomes a diagnostic with the CWE as `code`, a link to the CWE's page as
`codeDescription.href`, the analyzer's severity, `source` "SafeCoder", and a message
that names the weakness and says what is wrong; `data` keeps the CWE and the rules for
the code actions. Findings of one CWE at the same range (several rules catching the
same weakness) become one diagnostic. Findings give 1-based lines and columns in characters; diagnostics
count 0-based in the client's units (UTF-16 by default).

A document that does not parse (`syntax_error`, e.g. half-typed) keeps its previous
diagnostics instead of flickering to none: they are published again for the new
version. An analyzer `error` is logged and keeps them the same way. Fixed code gets an
empty list, which clears them. Closing a document clears its diagnostics.
"""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types
from pygls.workspace.position_codec import ServerTextPosition

from safecoder import cwe
from safecoder.analysis.findings import AnalysisResult, Finding

logger = logging.getLogger(__name__)

SOURCE = "SafeCoder"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls, params: types.DidOpenTextDocumentParams) -> None:
        schedule(ls, params.text_document.uri, delay_ms=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls, params: types.DidChangeTextDocumentParams) -> None:
        schedule(ls, params.text_document.uri, delay_ms=ls.config.diagnostics_debounce_ms)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    async def did_save(ls, params: types.DidSaveTextDocumentParams) -> None:
        schedule(ls, params.text_document.uri, delay_ms=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls, params: types.DidCloseTextDocumentParams) -> None:
        state = ls.documents.pop(params.text_document.uri, None)
        if state is not None and state.diagnostics_task is not None:
            state.diagnostics_task.cancel()
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )


def schedule(server, uri: str, delay_ms: int) -> None:
    """(Re)start the analysis of `uri` after `delay_ms`; a pending one is replaced."""
    state = server.document_state(uri)
    if state.diagnostics_task is not None and not state.diagnostics_task.done():
        state.diagnostics_task.cancel()
    state.diagnostics_task = asyncio.ensure_future(_analyse_later(server, uri, delay_ms))


async def _analyse_later(server, uri: str, delay_ms: int) -> None:
    if delay_ms > 0:
        await asyncio.sleep(delay_ms / 1000)
    try:
        await analyse_and_publish(server, uri)
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("analysing %s failed", uri)


async def analyse_and_publish(server, uri: str) -> AnalysisResult | None:
    from safecoder.server.lsp.documents import document_language

    if not server.config.diagnostics:
        return None
    if uri not in server.workspace.text_documents:
        # Closed while its analysis waited (found by the fuzzer): pygls would read the path
        # from disk instead, and a closed document has nothing to publish.
        return None
    document = server.workspace.get_text_document(uri)
    language = document_language(document)
    if language is None:
        return None
    source, version = document.source, document.version
    from safecoder.analysis import analyze_snippet

    result = await asyncio.to_thread(analyze_snippet, source, language.id)
    server.counters.analyses += 1
    current = server.workspace.get_text_document(uri)
    if current.version != version or current.source != source:
        return None  # a newer change is pending; its own analysis publishes
    state = server.document_state(uri)
    if result.judged:
        state.analysis, state.analysed_source, state.analysed_version = result, source, version
        lines = source.splitlines(True) or [""]
        state.diagnostics = [to_diagnostic(finding, lines, document.position_codec, rules)
                             for finding, rules in distinct_findings(result.findings)]
    elif result.status == "syntax_error":
        logger.debug("%s does not parse (%s); keeping its previous diagnostics", uri, result.error)
    else:
        logger.warning("the analyzer could not judge %s: %s", uri, result.error)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=list(state.diagnostics), version=version)
    )
    server.counters.published += 1
    return result


def distinct_findings(findings) -> list[tuple[Finding, list[str]]]:
    """One finding per (CWE, range), with every rule that reported it.

    Several rules may catch the same weakness at the same place; the editor shows it once.
    """
    merged: dict[tuple, tuple[Finding, list[str]]] = {}
    for finding in findings:
        key = (finding.cwe, finding.start_line, finding.start_column, finding.end_line, finding.end_column)
        if key in merged:
            merged[key][1].append(finding.rule_id)
        else:
            merged[key] = (finding, [finding.rule_id])
    return list(merged.values())


def to_diagnostic(finding: Finding, lines: list[str], codec, rules: list[str] | None = None) -> types.Diagnostic:
    """A finding as an LSP diagnostic on the text `lines` it was found in."""
    return types.Diagnostic(
        range=finding_range(finding, lines, codec),
        message=diagnostic_message(finding),
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.cwe,
        code_description=types.CodeDescription(href=cwe_url(finding.cwe)),
        source=SOURCE,
        data={"cwe": finding.cwe, "rule_id": finding.rule_id, "analyzer": finding.analyzer,
              "rules": rules or [finding.rule_id]},
    )


def finding_range(finding: Finding, lines: list[str], codec) -> types.Range:
    last = len(lines) - 1
    start_line = min(max(finding.start_line - 1, 0), last)
    end_line = min(max(finding.end_line - 1, start_line), last)
    start_character = max(finding.start_column - 1, 0)
    end_character = max(finding.end_column - 1, 0)
    if end_line == start_line and end_character <= start_character:
        # A point finding: mark the rest of the line so editors have something to underline.
        end_character = len(lines[start_line].rstrip("\r\n"))
    start_character = min(start_character, len(lines[start_line]))
    end_character = min(end_character, len(lines[end_line]))
    return types.Range(
        start=codec.position_to_client_units(lines, ServerTextPosition(start_line, start_character)),
        end=codec.position_to_client_units(lines, ServerTextPosition(end_line, end_character)),
    )


def diagnostic_message(finding: Finding) -> str:
    return f"{finding.cwe} {cwe.short_name(finding.cwe)}: {finding.message}"


def cwe_url(cwe_id: str) -> str:
    try:
        return cwe.get(cwe_id).url
    except cwe.UnknownCWEError:
        return f"https://cwe.mitre.org/data/definitions/{cwe.number(cwe_id)}.html"
