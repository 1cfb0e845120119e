"""The session: settings on connect and on change, model preloading, shutdown, status.

- `initialize`: the editor's `initializationOptions` (see `settings.py`) on top of the
  command line's configuration; the API key from the settings, else from the
  environment variable `api_key_env` names.
- `initialized`: with an in-process model and `preload`, the model starts loading in
  the background, so the first completion does not wait for it; editors that support
  `window/workDoneProgress` show it loading.
- `workspace/didChangeConfiguration`: new settings take effect at once (a new backend
  when the server URL, model or key changed; diagnostics re-run or cleared).
- `shutdown`: the backend is closed (the model released, the HTTP client closed).
- `safecoder/status` (a SafeCoder request): the configuration in effect (without the
  key), the backend, whether it is ready, and counters (completions, cache hits,
  analyses, fixes, gate actions). The editors' status items show it.

Invalid settings are refused with a message naming the setting; the previous ones stay.
"""

from __future__ import annotations

import logging
import os

from lsprotocol import types

from safecoder.server.lsp.settings import SettingsError, parse_settings

logger = logging.getLogger(__name__)

STATUS_REQUEST = "safecoder/status"


def register(server) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls, params: types.InitializeParams) -> None:
        ls.api_key = os.environ.get(ls.config.api_key_env) or ls.api_key
        apply_settings(ls, params.initialization_options)

    @server.feature(types.INITIALIZED)
    def initialized(ls, params: types.InitializedParams) -> None:
        if ls.config.preload and ls.config.completions and not ls.config.server_url:
            ls.in_background(_preload(ls))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls, params: types.DidChangeConfigurationParams) -> None:
        diagnostics_before = ls.config.diagnostics
        if not apply_settings(ls, params.settings):
            return
        from safecoder.server.lsp.diagnostics import schedule

        for uri in list(ls.workspace.text_documents):
            if ls.config.diagnostics:
                schedule(ls, uri, delay_ms=0)
            elif diagnostics_before:
                ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls, params: None) -> None:
        await ls.close_backend()

    @server.feature(STATUS_REQUEST)
    def status(ls, params=None) -> dict:
        return ls.status()


def apply_settings(server, raw) -> bool:
    """Fold an editor's settings into the server; False (and a message) when refused."""
    try:
        settings = parse_settings(raw)
        config = settings.apply(server.config)
    except SettingsError as exc:
        logger.warning("%s", exc)
        server.show(str(exc), types.MessageType.Error)
        return False
    api_key = settings.apiKey if settings.apiKey is not None else server.api_key
    server.reconfigure(config, api_key or None)
    return True


async def _preload(server) -> None:
    """Load the model, shown as progress in editors that support `window/workDoneProgress`."""
    import uuid

    from pygls.capabilities import get_capability

    from safecoder.server.lsp.backend import BackendError

    token = None
    if get_capability(server.client_capabilities, "window.work_done_progress", False):
        token = f"safecoder-load-{uuid.uuid4().hex}"
        try:
            await server.work_done_progress.create_async(token)
            server.work_done_progress.begin(token, types.WorkDoneProgressBegin(
                title="SafeCoder", message=f"loading {server.backend().description}"))
        except Exception as exc:  # a client that refuses progress still gets its model
            logger.info("no progress shown for loading the model: %s", exc)
            token = None
    outcome = "model ready"
    try:
        await server.ready_backend()
    except BackendError as exc:
        outcome = "the model could not be loaded"
        server.report_backend_error(exc)
    finally:
        if token is not None:
            server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=outcome))
