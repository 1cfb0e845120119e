"""The SafeCoder language server: its state, and the features registered on it.

`SafeCoderLanguageServer` is a pygls `LanguageServer` that holds everything the
features share: the effective configuration (command line, then the editor's
settings), the suggestion backend (a SafeCoder HTTP server, or an engine in this
process), the cache of recent completions, the per-document state of completions and
diagnostics, and counters that `safecoder/status` reports.

`create_server(config)` builds one and registers every feature module on it (one LSP
feature per module: `lifecycle`, `inline_completion`, `completion`, `diagnostics`,
`code_actions`). Nothing here talks to the editor by itself.

The server never writes to stdout: in stdio mode stdout is the protocol (`cli.py`
moves every other writer to stderr before the server starts).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcServerNotInitialized
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from safecoder import __version__
from safecoder.server.lsp.backend import BackendError, CompletionBackend
from safecoder.server.lsp.completion_cache import CompletionCache
from safecoder.server.lsp.config import LspConfig
from safecoder.server.lsp.lifecycle import STATUS_REQUEST

logger = logging.getLogger(__name__)


class _UnreadableParamsTraceback(logging.Filter):
    """pygls logs a traceback for every message whose params cannot be read, then raises
    InvalidParams, which `SafeCoderProtocol` answers and logs in one line: the traceback says
    nothing more and reads as a server fault in the log (the fuzzer counts it as one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable to deserialize message")


logging.getLogger("pygls.protocol.json_rpc").addFilter(_UnreadableParamsTraceback())

NAME = "safecoder-lsp"


@dataclass
class DocumentState:
    """What the server tracks per open document beyond its text (which pygls keeps)."""

    # The newest completion request for this document; older ones give way to it.
    latest_completion: int = 0
    generation: asyncio.Task | None = None
    diagnostics_task: asyncio.Task | None = None
    # The analysis behind the diagnostics last published, for the code actions.
    analysed_version: int | None = None
    analysis: object | None = None
    analysed_source: str | None = None
    diagnostics: list = field(default_factory=list)


@dataclass
class Counters:
    completion_requests: int = 0
    generations: int = 0
    superseded: int = 0
    cancelled: int = 0
    analyses: int = 0
    published: int = 0
    fixes_offered: int = 0
    fixes_refused: int = 0
    gate_actions: Counter = field(default_factory=Counter)


@attrs.define
class _ParamsOptionalRequest:
    """A request whose `params` may be left out, as JSON-RPC allows (pygls requires them
    for methods lsprotocol does not know, and never answers a request it cannot read)."""

    id: int | str
    method: str
    jsonrpc: str
    params: object = None


@attrs.define
class _Unreadable:
    """A message whose params could not be read: a request was already answered with the error,
    a notification is dropped (and logged)."""

    method: str


class SafeCoderProtocol(LanguageServerProtocol):
    """pygls's protocol with two answers it does not give by itself (both found by the fuzzer,
    `safecoder.server.reliability.lsp_fuzz`): a request whose params cannot be read gets an
    InvalidParams error (pygls answered nothing, so the client waited forever), and a request
    before `initialize` gets ServerNotInitialized (pygls failed with an internal error);
    notifications before `initialize` are dropped, as the specification says."""

    def __init__(self, server, converter):
        super().__init__(server, converter)
        converter.register_structure_hook(_ParamsOptionalRequest, lambda obj, cls: cls(
            id=obj["id"], method=obj["method"], jsonrpc=obj["jsonrpc"], params=obj.get("params")))

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            method = data.get("method")
            if not isinstance(method, str):
                raise
            logger.warning("refused %s: its params cannot be read (%s)", method, exc.message)
            if isinstance(data.get("id"), (int, str)) and not isinstance(data.get("id"), bool):
                self._send_response(data["id"], None, exc.to_response_error())
            return _Unreadable(method)

    def handle_message(self, message):
        if isinstance(message, _Unreadable):
            return
        method = getattr(message, "method", None)
        if method is not None and self._workspace is None and method not in (types.INITIALIZE, types.EXIT):
            message_id = getattr(message, "id", None)
            if message_id is not None:
                self._send_response(message_id, None, JsonRpcServerNotInitialized().to_response_error())
            else:
                logger.warning("dropped %s: it arrived before initialize", method)
            return
        super().handle_message(message)

    def get_message_type(self, method: str):
        if method == STATUS_REQUEST:
            return _ParamsOptionalRequest
        return super().get_message_type(method)


class SafeCoderLanguageServer(LanguageServer):
    def __init__(self, config: LspConfig, api_key: str | None = None, backend: CompletionBackend | None = None):
        super().__init__(NAME, __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=SafeCoderProtocol)
        self.config = config
        self.api_key = api_key
        self.cache = CompletionCache(config.cache_size)
        self.counters = Counters()
        self.documents: dict[str, DocumentState] = {}
        self.fix_cache: dict[tuple, object] = {}
        self._backend = backend
        self._backend_fixed = backend is not None
        self._backend_task: asyncio.Task | None = None
        self._request_counter = 0
        self._shown_errors: set[str] = set()
        self._background: set[asyncio.Future] = set()

    # ----- configuration -----------------------------------------------------------
    def reconfigure(self, config: LspConfig, api_key: str | None) -> None:
        """Apply new settings; the backend is rebuilt when where suggestions come from changed."""
        source_changed = (config.server_url, config.model, config.engine) != (
            self.config.server_url, self.config.model, self.config.engine) or api_key != self.api_key
        self.config, self.api_key = config, api_key
        self.cache = CompletionCache(config.cache_size)
        self.fix_cache.clear()
        self._shown_errors.clear()
        if source_changed and not self._backend_fixed and self._backend is not None:
            old, self._backend, self._backend_task = self._backend, None, None
            self.in_background(old.close())

    def in_background(self, coroutine) -> asyncio.Future:
        """Run `coroutine` without awaiting it, keeping a reference until it is done."""
        future = asyncio.ensure_future(coroutine)
        self._background.add(future)
        future.add_done_callback(self._background.discard)
        return future

    def document_state(self, uri: str) -> DocumentState:
        return self.documents.setdefault(uri, DocumentState())

    def next_request_number(self) -> int:
        self._request_counter += 1
        return self._request_counter

    # ----- the suggestion backend --------------------------------------------------
    def backend(self) -> CompletionBackend:
        if self._backend is None:
            if self.config.server_url:
                from safecoder.server.lsp.remote_backend import RemoteBackend

                self._backend = RemoteBackend(self.config.server_url, self.api_key, self.config.model,
                                              self.config.request_timeout_s)
            else:
                from safecoder.server.lsp.engine_backend import EngineBackend

                self._backend = EngineBackend(self.config.model, self.config.engine)
        return self._backend

    async def ready_backend(self) -> CompletionBackend:
        """The backend, started; concurrent callers share one start (one model load)."""
        backend = self.backend()
        if self._backend_task is None or (self._backend_task.done() and self._backend_task.exception()):
            self._backend_task = asyncio.ensure_future(backend.start())
        await asyncio.shield(self._backend_task)
        return backend

    async def close_backend(self) -> None:
        if self._backend is not None:
            await self._backend.close()

    # ----- talking to the user -----------------------------------------------------
    def report_backend_error(self, error: BackendError) -> None:
        """Show a backend problem once (not on every keystroke), and log it every time."""
        message = str(error)
        logger.warning("%s", message)
        if message not in self._shown_errors:
            self._shown_errors.add(message)
            self.show(message, types.MessageType.Error)

    def show(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"SafeCoder: {message}"))

    def status(self) -> dict:
        """What `safecoder/status` returns: configuration in effect, backend, counters."""
        from safecoder.config import to_dict

        counters = self.counters
        return {
            "server": NAME,
            "version": __version__,
            "backend": self._backend.description if self._backend is not None else None,
            "backend_ready": bool(self._backend_task and self._backend_task.done()
                                  and not self._backend_task.cancelled() and not self._backend_task.exception()),
            "config": to_dict(self.config),
            "api_key_set": bool(self.api_key),
            "cache": {"entries": len(self.cache), "hits": self.cache.stats.hits,
                      "typed_ahead_hits": self.cache.stats.typed_ahead_hits, "misses": self.cache.stats.misses},
            "completion_requests": counters.completion_requests,
            "generations": counters.generations,
            "superseded": counters.superseded,
            "cancelled": counters.cancelled,
            "analyses": counters.analyses,
            "diagnostics_published": counters.published,
            "fixes_offered": counters.fixes_offered,
            "fixes_refused": counters.fixes_refused,
            "gate_actions": dict(counters.gate_actions),
        }


def create_server(config: LspConfig, api_key: str | None = None,
                  backend: CompletionBackend | None = None) -> SafeCoderLanguageServer:
    """A server with every feature registered; `backend` replaces the configured one (benchmarks)."""
    from safecoder.server.lsp import (
        code_actions,
        completion,
        diagnostics,
        inline_completion,
        lifecycle,
    )

    server = SafeCoderLanguageServer(config, api_key=api_key, backend=backend)
    for feature in (lifecycle, inline_completion, completion, diagnostics, code_actions):
        feature.register(server)
    return server
