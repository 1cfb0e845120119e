"""The FastAPI application: thin routes over `Serving`, one error mapping, the lifecycle.

Input: a `ServerConfig` and a `KeyRing`. Output: an ASGI app with `/health`, `/metrics`,
`/v1/models`, `/v1/completions`, `/v1/chat/completions` and the editors' fill-in-the-
middle endpoints (llama.cpp's `/infill`, Mistral's `/v1/fim/completions`), wrapped in
the `Guard` (keys, rate limits, body size, request metrics).

The model loads in the background after the port opens: `/health` answers 503 with
`{"status": "loading"}` until it is ready (then 200, `"ok"`), and generation routes
answer 503 meanwhile; a model that fails to load makes `/health` say `"failed"` and calls
`on_fatal` (the CLI stops the server). On SIGTERM every generation gets the shutdown
grace to finish, then ends with a 503 (`safecoder.server.shutdown`). Routes hold no logic: they validate (pydantic),
hand over to `Serving`, and turn every exception into OpenAI error JSON.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from safecoder.engines import create_engine
from safecoder.errors import SafeCoderError
from safecoder.server.access import KeyRing
from safecoder.server.admission import AdmissionControl
from safecoder.server.api_errors import APIError, from_validation_errors, to_api_error
from safecoder.server.config import ServerConfig
from safecoder.server.guard import Guard
from safecoder.server.llamacpp_infill import InfillRequest, InfillWire
from safecoder.server.metrics import ServerMetrics
from safecoder.server.mistral_fim import FimCompletionRequest
from safecoder.server.model_slot import EngineFactory, ModelSlot, ServedModel
from safecoder.server.protocol import ChatCompletionRequest, CompletionRequest, Limits
from safecoder.server.responses import ChatWire, CompletionWire, FimWire, Wire
from safecoder.server.serving import ClientGone, Serving, cancel_on_disconnect
from safecoder.server.shutdown import ShutdownGrace
from safecoder.suggest import SecurityGate, load_analyzer

logger = logging.getLogger(__name__)


class ServerState:
    """What the routes share; one per app."""

    def __init__(self, config: ServerConfig, reference: str, metrics: ServerMetrics,
                 on_ready: Callable[[ServedModel], object] | None, on_fatal: Callable[[BaseException], None] | None,
                 engine_factory: EngineFactory = create_engine, shutdown: ShutdownGrace | None = None):
        self.config = config
        self.shutdown = shutdown or ShutdownGrace(config.shutdown_grace_s)
        self.metrics = metrics
        self.status = "loading"
        self.error: str | None = None
        self.on_ready = on_ready
        self.on_fatal = on_fatal
        self.slot = ModelSlot(reference, config.engine, config.engine_options(), config.watch_interval_s,
                              on_change=self._model_changed, engine_factory=engine_factory)
        self.gate = SecurityGate(load_analyzer(), config.gate_candidates, config.gate_draw, config.gate_temperature,
                                 steer=config.gate_steer, min_kept=config.gate_min_kept)
        self.admission = AdmissionControl(config.max_concurrent, config.max_queue, metrics)
        self.serving = Serving(self.slot, self.gate, self.admission, metrics,
                               Limits(max_tokens=config.max_tokens_limit, max_n=config.max_n),
                               config.gate, config.gate_override, config.model_names, config.strict_fields,
                               config.keep_alive_s)

    def _model_changed(self, served: ServedModel) -> None:
        self.metrics.set_model(served.reference, served.version, served.engine.kind, served.resolved.name)
        self.metrics.watch_engine(served.engine)

    async def load(self) -> None:
        try:
            await self.slot.start()
        except Exception as exc:
            self.status, self.error = "failed", f"{type(exc).__name__}: {exc}"
            logger.error("the model could not be loaded: %s", self.error)
            if self.on_fatal is not None:
                self.on_fatal(exc)
            return
        self.status = "ok"
        if self.on_ready is not None:
            announced = self.on_ready(self.slot.current)
            if inspect.isawaitable(announced):
                await announced

    def require_ready(self) -> None:
        if self.status != "ok":
            raise APIError(503, "the model is still loading; retry shortly (GET /health says when it is ready)"
                           if self.status == "loading" else f"the model failed to load: {self.error}",
                           "server_unavailable", code="model_not_ready", headers={"Retry-After": "2"})


def create_app(config: ServerConfig, keys: KeyRing, reference: str,
               on_ready: Callable[[ServedModel], object] | None = None,
               on_fatal: Callable[[BaseException], None] | None = None,
               engine_factory: EngineFactory = create_engine, shutdown: ShutdownGrace | None = None) -> Guard:
    """The app, wrapped in its `Guard`. `engine_factory` builds engines (`create_engine`; the
    load test passes one that returns an engine it already measured); `shutdown` is the grace
    the server starts on SIGTERM (`safecoder.server.shutdown`)."""
    metrics = ServerMetrics()
    state = ServerState(config, reference, metrics, on_ready, on_fatal, engine_factory, shutdown)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        loading = asyncio.create_task(state.load(), name="safecoder-model-load")
        try:
            yield
        finally:
            loading.cancel()
            try:
                await loading
            except asyncio.CancelledError:
                pass
            await state.slot.close()

    app = FastAPI(title="SafeCoder", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.safecoder = state

    @app.exception_handler(RequestValidationError)
    async def validation_failed(request: Request, exc: RequestValidationError):
        return _error_response(from_validation_errors(list(exc.errors())))

    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError):
        return _error_response(exc)

    @app.exception_handler(SafeCoderError)
    async def refused(request: Request, exc: SafeCoderError):
        # Expected refusals (a prompt over the context, bad sampling values) are answered here,
        # not by the catch-all below, which re-raises and makes the server drop the connection.
        return _error_response(to_api_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        # Starlette's own refusals (a body that is not UTF-8 or is nested too deeply for the JSON
        # parser: "There was an error parsing the body") in the OpenAI error shape.
        message = str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in message:
            message = "the body could not be parsed: it must be JSON in UTF-8, nested at most a few hundred levels"
        return _error_response(APIError(exc.status_code, message, code="invalid_request"))

    @app.exception_handler(404)
    async def not_found(request: Request, exc):
        return _error_response(APIError(404, f"no route {request.method} {request.url.path}; see docs/server.md",
                                        code="not_found"))

    @app.exception_handler(405)
    async def wrong_method(request: Request, exc):
        return _error_response(APIError(405, f"{request.method} is not allowed on {request.url.path}",
                                        code="method_not_allowed"))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        return _error_response(to_api_error(exc))

    @app.get("/health")
    async def health():
        body = {"status": state.status, "ready": state.status == "ok",
                "queue": {"running": state.admission.running, "waiting": state.admission.waiting}}
        if state.slot.ready:
            body["model"] = state.slot.current.describe()
        if state.error:
            body["error"] = state.error
        if state.slot.problem:
            # Still serving the last good model; the registry alias could not be followed.
            body["warning"] = state.slot.problem
        return JSONResponse(body, status_code=200 if state.status == "ok" else 503)

    @app.get("/metrics")
    async def metrics_route():
        return Response(metrics.exposition(), media_type=metrics.content_type)

    @app.get("/v1/models")
    async def list_models():
        state.require_ready()
        return {"object": "list", "data": [_model_card(state, config)]}

    @app.get("/v1/models/{model_id:path}")
    async def get_model(model_id: str):
        state.require_ready()
        served = state.slot.current
        if model_id not in served.ids:
            raise APIError(404, f"model {model_id!r} is not served here; see /v1/models", param="model",
                           code="model_not_found")
        return _model_card(state, config)

    @app.post("/v1/completions")
    async def completions(body: CompletionRequest, request: Request):
        return await _answer(state, body, request, CompletionWire())

    @app.post("/v1/chat/completions")
    async def chat_completions(body: ChatCompletionRequest, request: Request):
        return await _answer(state, body, request, ChatWire())

    @app.post("/v1/fim/completions")
    async def fim_completions(body: FimCompletionRequest, request: Request):
        return await _answer(state, body.to_completion_request(config.max_tokens_limit), request, FimWire())

    @app.post("/infill")
    async def infill(body: InfillRequest, request: Request):
        state.require_ready()
        wire = InfillWire(body, state.slot.current.reference)
        if body.n_predict == 0:
            # llama.vim sends these to warm llama.cpp's prompt cache; nothing is generated.
            return JSONResponse(wire.empty())
        return await _answer(state, body.to_completion_request(config.max_tokens_limit), request, wire)

    return Guard(app, keys, metrics, config.max_request_bytes, config.metrics_public)


async def _answer(state: ServerState, body, request: Request, wire: Wire):
    state.require_ready()
    if body.stream:
        headers = state.serving.check_admissible(body, wire)
        return StreamingResponse(state.shutdown.bounded_stream(state.serving.stream(body, wire), wire.done),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **headers})

    async def disconnected():
        while (await request.receive())["type"] != "http.disconnect":
            pass

    try:
        answer, headers = await cancel_on_disconnect(state.shutdown.bounded(state.serving.complete(body, wire)),
                                                     disconnected)
        return JSONResponse(answer, headers=headers)
    except ClientGone:
        state.metrics.cancelled.labels(wire.kind).inc()
        # Nobody reads this answer; what mattered is that the generation was stopped.
        return Response(status_code=499)


def _model_card(state: ServerState, config: ServerConfig) -> dict:
    served = state.slot.current
    accepted = "any name (one model is served)" if config.model_names == "any" else list(served.ids)
    return {"id": served.reference, "object": "model", "created": served.loaded_at, "owned_by": "safecoder",
            "max_model_len": served.engine.max_context_tokens,
            "safecoder": {**served.describe(), "accepted_ids": list(served.ids), "accepted_names": accepted,
                          "gate": config.gate, "gate_candidates": config.gate_candidates, "gate_steer": config.gate_steer,
                          "gate_min_kept": config.gate_min_kept, "max_tokens_limit": config.max_tokens_limit}}


def _error_response(error: APIError) -> JSONResponse:
    headers = dict(error.headers)
    if error.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(error.body(), status_code=error.status, headers=headers)
