"""The ASGI layer in front of every route: API keys, rate limits, body size, request metrics.

Input: each HTTP request before FastAPI parses it. Output: the request passed on (with
its body already read, so the size limit holds for chunked uploads too), or an OpenAI
error answer: 401 (no or wrong key), 429 (the key's rate limit), 413 (body too large).
Authentication runs before the body is parsed, so a caller without a key learns nothing
about the API from validation errors. `/health` is always open; `/metrics` is open when
configured. Request latency and status are recorded per endpoint once the last byte of
the answer has been sent (streams included).

Plain ASGI rather than `BaseHTTPMiddleware`, which would buffer streams and add latency.
Keys are never logged; the client is named by its key's name or its address.
"""

from __future__ import annotations

import json
import time

from safecoder.server.access import KeyRing
from safecoder.server.api_errors import APIError
from safecoder.server.metrics import ServerMetrics

# How much of a refused (too large) body is read and dropped before the 413 (see `_drain`).
DRAIN_BYTES = 16 * 1024 * 1024
ENDPOINTS = {"/v1/completions": "completions", "/v1/chat/completions": "chat", "/v1/models": "models"}


class Guard:
    def __init__(self, app, keys: KeyRing, metrics: ServerMetrics, max_body_bytes: int, metrics_public: bool):
        self.app = app
        self.keys = keys
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.open_paths = {"/health"} | ({"/metrics"} if metrics_public else set())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        started = time.perf_counter()
        try:
            if path not in self.open_paths:
                key = self.keys.authenticate(_header(scope, b"authorization"))
                client = scope.get("client")
                self.keys.charge(key, client[0] if client else "unknown")
            body = await self._read_body(scope, receive) if scope["method"] in ("POST", "PUT", "PATCH") else None
        except APIError as error:
            reason = {401: "unauthorized", 429: "rate_limited", 413: "too_large"}.get(error.status, "refused")
            self.metrics.rejections.labels(reason).inc()
            await _send_error(send, error)
            return
        endpoint = ENDPOINTS.get(path)
        status_holder = {"status": 500}

        async def send_recording(message):
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)
            if endpoint and message["type"] == "http.response.body" and not message.get("more_body", False):
                self.metrics.request_duration.labels(endpoint).observe(time.perf_counter() - started)
                self.metrics.requests.labels(endpoint, str(status_holder["status"])).inc()

        if body is None:
            return await self.app(scope, receive, send_recording)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_recording)

    async def _read_body(self, scope, receive) -> bytes:
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _drain(receive, DRAIN_BYTES)
            raise _too_large(int(declared), self.max_body_bytes)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _drain(receive, DRAIN_BYTES)
                raise _too_large(size, self.max_body_bytes)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


async def _drain(receive, limit: int) -> None:
    """Read and drop up to `limit` more bytes of a refused body. A server that answers and closes
    while the client is still sending makes the kernel reset the connection, and the client
    may never see the 413 (the fuzzer saw exactly that); bodies larger than this still are cut."""
    drained = 0
    while drained <= limit:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return
        drained += len(message.get("body", b""))


def _too_large(size: int, limit: int) -> APIError:
    return APIError(413, f"the request body ({size} bytes or more) is larger than this server's limit of "
                         f"{limit} bytes (server option --max-request-bytes)", code="request_too_large")


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


async def _send_error(send, error: APIError) -> None:
    payload = json.dumps(error.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    headers.extend((k.lower().encode(), v.encode()) for k, v in error.headers.items())
    if error.status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})
