"""A small LSP client that drives `safecoder lsp` like an editor does (benchmarks, tests).

It is pygls's own client (`LanguageClient`, the public name of its `BaseLanguageClient`)
with what an editor adds: it starts the server as a subprocess over stdio (or connects
over TCP), keeps the documents it opened and applies edits to them (including
`workspace/applyEdit` from the server), records published diagnostics and shown
messages, and can wait for them without sleeping: `wait_for_diagnostics` returns as
soon as the server publishes for a document version.

Positions are UTF-16 code units, as the client announces. Not a general-purpose editor
model: one client, one server, full-text document changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from typing import Any, Union

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.protocol import default_converter

logger = logging.getLogger(__name__)

CAPABILITIES = types.ClientCapabilities(
    general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
    text_document=types.TextDocumentClientCapabilities(
        synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
        inline_completion=types.InlineCompletionClientCapabilities(),
        completion=types.CompletionClientCapabilities(),
        code_action=types.CodeActionClientCapabilities(
            code_action_literal_support=types.ClientCodeActionLiteralOptions(
                code_action_kind=types.ClientCodeActionKindOptions(value_set=[types.CodeActionKind.QuickFix]),
            ),
            disabled_support=True,
            is_preferred_support=True,
        ),
    ),
    window=types.WindowClientCapabilities(work_done_progress=True),
    workspace=types.WorkspaceClientCapabilities(
        apply_edit=True,
        workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
        configuration=False,
    ),
)


def _converter():
    """pygls's converter, except that a code action carrying a command stays a CodeAction.

    lsprotocol's default hook for `Command | CodeAction` picks `Command` whenever a
    `command` key is present and turns the nested command into a string.
    """
    converter = default_converter()

    def command_or_action(obj: Any, _: Any) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], command_or_action)  # noqa: UP007
    return converter


class EditorClient(LanguageClient):
    def __init__(self) -> None:
        super().__init__("safecoder-editor-client", "1", converter_factory=_converter)
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.published: dict[str, list[types.PublishDiagnosticsParams]] = defaultdict(list)
        self.messages: list[types.ShowMessageParams] = []
        self.applied_edits: list[types.WorkspaceEdit] = []
        self.progress: list[Any] = []  # the values of `$/progress` (begin, report, end)
        self._news: asyncio.Event | None = None
        # The server's log (stderr), drained continuously so a chatty server never blocks on a full pipe.
        self.stderr_tail: deque[str] = deque(maxlen=200)

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(client: EditorClient, params: types.PublishDiagnosticsParams) -> None:
            client.published[params.uri].append(params)
            client._notify()

        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def on_message(client: EditorClient, params: types.ShowMessageParams) -> None:
            client.messages.append(params)
            client._notify()

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(client: EditorClient, params: types.LogMessageParams) -> None:
            logger.debug("server log: %s", params.message)

        @self.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def on_progress_create(client: EditorClient, params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @self.feature(types.PROGRESS)
        def on_progress(client: EditorClient, params: types.ProgressParams) -> None:
            client.progress.append(params.value)
            client._notify()

        @self.feature(types.WORKSPACE_APPLY_EDIT)
        def on_apply_edit(client: EditorClient, params: types.ApplyWorkspaceEditParams):
            applied = client.apply_workspace_edit(params.edit)
            client._notify()
            return types.ApplyWorkspaceEditResult(applied=applied)

    # ----- connection --------------------------------------------------------------
    async def connect(self, command: Sequence[str] | None = None, tcp: tuple[str, int] | None = None,
                      initialization_options: dict[str, Any] | None = None,
                      capabilities: types.ClientCapabilities = CAPABILITIES, **process_options: Any,
                      ) -> types.InitializeResult:
        if tcp is not None:
            await self.start_tcp(*tcp)
        elif command is None:
            raise ValueError("connect needs the server's command or a tcp (host, port) to connect to")
        else:
            await self.start_io(command[0], *command[1:], **process_options)
            self._async_tasks.append(asyncio.create_task(self._drain_stderr()))
        result = await self.initialize_async(types.InitializeParams(
            process_id=None, root_uri=None, capabilities=capabilities,
            initialization_options=initialization_options,
        ))
        self.initialized(types.InitializedParams())
        return result

    async def close(self) -> None:
        """Shut the server down politely (shutdown, exit) and wait for it to end."""
        if not self.stopped:
            try:
                await asyncio.wait_for(self.shutdown_async(None), timeout=60)
                self.exit(None)
            except (TimeoutError, RuntimeError, ConnectionError) as exc:
                logger.warning("the server did not shut down cleanly: %s", exc)
                if self._server is not None and self._server.returncode is None:
                    self._server.kill()
        await self.stop()

    async def _drain_stderr(self) -> None:
        stream = self._server.stderr if self._server is not None else None
        if stream is None:
            return
        while line := await stream.readline():
            text = line.decode("utf-8", errors="replace").rstrip()
            self.stderr_tail.append(text)
            logger.debug("server: %s", text)

    # ----- documents ---------------------------------------------------------------
    def open(self, uri: str, language_id: str, text: str) -> None:
        self.texts[uri], self.versions[uri] = text, 1
        self.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))

    def change(self, uri: str, text: str) -> int:
        """Replace the whole text; returns the new version."""
        self.texts[uri] = text
        self.versions[uri] += 1
        self.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        ))
        return self.versions[uri]

    def save(self, uri: str) -> None:
        self.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

    def apply_workspace_edit(self, edit: types.WorkspaceEdit) -> bool:
        """Apply an edit to the open documents and tell the server, as an editor would."""
        per_uri: dict[str, list[types.TextEdit]] = defaultdict(list)
        for uri, edits in (edit.changes or {}).items():
            per_uri[uri].extend(edits)
        for change in edit.document_changes or ():
            if not isinstance(change, types.TextDocumentEdit):
                return False
            if change.text_document.version is not None and change.text_document.version != self.versions.get(
                    change.text_document.uri):
                return False
            per_uri[change.text_document.uri].extend(e for e in change.edits if isinstance(e, types.TextEdit))
        if any(uri not in self.texts for uri in per_uri):
            return False
        for uri, edits in per_uri.items():
            self.change(uri, apply_text_edits(self.texts[uri], edits))
        self.applied_edits.append(edit)
        return True

    # ----- requests ----------------------------------------------------------------
    async def inline_completion(self, uri: str, line: int, character: int, invoked: bool = True,
                                msg_id: str | None = None) -> types.InlineCompletionList:
        trigger = types.InlineCompletionTriggerKind.Invoked if invoked else types.InlineCompletionTriggerKind.Automatic
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(trigger_kind=trigger),
        )
        result = await self.protocol.send_request_async(types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id)
        if isinstance(result, list):
            return types.InlineCompletionList(items=result)
        return result

    def cancel(self, msg_id: str) -> None:
        self.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))

    async def code_actions(self, uri: str, diagnostics: list[types.Diagnostic],
                           automatic: bool = False) -> list[types.CodeAction]:
        trigger = types.CodeActionTriggerKind.Automatic if automatic else types.CodeActionTriggerKind.Invoked
        result = await self.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=diagnostics, trigger_kind=trigger),
        ))
        return [action for action in result or [] if isinstance(action, types.CodeAction)]

    async def status(self) -> dict[str, Any]:
        return _plain(await self.protocol.send_request_async("safecoder/status", None))

    # ----- waiting -----------------------------------------------------------------
    def _notify(self) -> None:
        if self._news is not None:
            self._news.set()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        """Return `predicate()`'s first truthy value, woken by each notification."""
        if self._news is None:
            self._news = asyncio.Event()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            self._news.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"waited {timeout:.0f} s for {what}")
            try:
                await asyncio.wait_for(self._news.wait(), remaining)
            except TimeoutError:
                continue

    async def wait_for_diagnostics(self, uri: str, version: int | None = None,
                                   timeout: float = 60.0) -> types.PublishDiagnosticsParams:
        """The first diagnostics published for `uri` at `version` (or any version) or later."""
        wanted = version if version is not None else self.versions.get(uri, 0)
        seen = len(self.published[uri]) if version is None else 0

        def found():
            for params in self.published[uri][seen:]:
                if params.version is None or params.version >= wanted:
                    return params
            return None

        return await self.wait_until(found, timeout, f"diagnostics of {uri} (version {wanted})")


def apply_text_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply non-overlapping edits (UTF-16 positions) to `text`, last first."""
    lines = text.splitlines(True)

    def offset(position: types.Position) -> int:
        before = sum(len(line) for line in lines[: position.line])
        if position.line >= len(lines):
            return len(text)
        line, units, index = lines[position.line], 0, 0
        while index < len(line) and units < position.character:
            units += 2 if ord(line[index]) > 0xFFFF else 1
            index += 1
        return before + index

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def _plain(value: Any) -> Any:
    """pygls hands custom results over as namedtuples; turn them back into dicts and lists."""
    as_dict = getattr(value, "_asdict", None) if isinstance(value, tuple) else None
    if as_dict is not None:
        return {key: _plain(item) for key, item in as_dict().items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
