"""`safecoder serve`: the OpenAI-compatible server with the security gate.

With no options it serves on 127.0.0.1:8000 the registry's `production` model (or the
embedded default when there is none), on the engine `auto` picks, with the gate in
`rerank` mode, and prints the URL and a first request to try once the model is ready.
Every `ServerConfig` field is a flag (`--gate block`, `--max-queue 16`, ...) and can come
from `--config server.yaml`. On SIGTERM it stops accepting connections, gives running
generations `--shutdown-grace-s` to finish, ends the rest with a 503 and exits (see
`safecoder.server.shutdown`). Registering the command imports nothing heavy.
"""

from __future__ import annotations

import argparse

from safecoder.errors import SafeCoderError


class ServeError(SafeCoderError):
    """`safecoder serve` cannot start as configured."""


def register(subparsers: argparse._SubParsersAction) -> None:
    from safecoder.config import add_arguments
    from safecoder.server.config import ServerConfig

    serve = subparsers.add_parser(
        "serve",
        help="run the OpenAI-compatible API with the security gate",
        description="Serve a model over an OpenAI-compatible HTTP API (/v1/completions with fill-in-the-middle, "
        "/v1/chat/completions, /v1/models, /health, /metrics). Every suggestion passes the security gate. "
        "API keys come from --api-key-file or SAFECODER_API_KEYS (comma-separated); without any, the server "
        "listens on loopback only.",
    )
    add_arguments(serve, ServerConfig)
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    import logging
    import math
    import socket
    import sys

    import uvicorn

    from safecoder.config import build, to_dict
    from safecoder.server.access import KEYS_ENV, KeyRing
    from safecoder.server.app import create_app
    from safecoder.server.config import ServerConfig
    from safecoder.server.model_slot import choose_reference
    from safecoder.server.shutdown import BACKSTOP_S, ShutdownGrace

    logger = logging.getLogger("safecoder.server")
    config = build(ServerConfig, args)
    keys = KeyRing.load(config.api_key_file, config.rate_limit_rpm)
    if not keys.enabled and not config.on_loopback:
        raise ServeError(
            f"refusing to listen on {config.host} without API keys: anyone who can reach it could use it. "
            f"Give keys with --api-key-file FILE or {KEYS_ENV}=key1,key2, or keep --host 127.0.0.1"
        )
    reference, why = choose_reference(config.model)
    logger.info("effective configuration: %s", {k: v for k, v in to_dict(config).items()})
    print(f"SafeCoder: {why}; loading it with the {config.engine} engine (gate: {config.gate}) ...", flush=True)
    if not keys.enabled:
        print("No API key configured: listening on loopback only.", flush=True)
    else:
        print(f"{len(keys)} API key(s) configured; every route but /health needs one"
              + ("" if not config.metrics_public else " (and /metrics is open)") + ".", flush=True)

    fatal: list[BaseException] = []
    server: uvicorn.Server | None = None

    async def on_ready(served) -> None:
        import asyncio

        while server is not None and not server.started and not server.should_exit:
            await asyncio.sleep(0.05)  # the model can be ready before the socket is bound
        host, port = config.host, config.port
        if server is not None and server.servers:
            sockets = server.servers[0].sockets
            if sockets:
                port = sockets[0].getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        if host in ("0.0.0.0", "::"):
            shown_host = socket.gethostname()
        url = f"http://{shown_host}:{port}"
        auth = ' -H "Authorization: Bearer $SAFECODER_API_KEY"' if keys.enabled else ""
        print(f"SafeCoder is serving {served.reference!r} ({served.resolved.name}"
              f"{', version ' + served.version if served.version else ''}, {served.engine.kind} engine) "
              f"at {url}/v1", flush=True)
        print("Try:", flush=True)
        print(f"  curl {url}/v1/completions -H 'Content-Type: application/json'{auth} "
              f"-d '{{\"model\": \"{served.reference}\", \"prompt\": \"def fibonacci(n):\", "
              f"\"max_tokens\": 48, \"temperature\": 0}}'", flush=True)

    def on_fatal(exc: BaseException) -> None:
        fatal.append(exc)
        if server is not None:
            server.should_exit = True

    grace = ShutdownGrace(config.shutdown_grace_s)
    app = create_app(config, keys, reference, on_ready=on_ready, on_fatal=on_fatal, shutdown=grace)
    uvicorn_config = uvicorn.Config(
        app, host=config.host, port=config.port, log_level=config.log_level,
        access_log=config.log_level == "debug", lifespan="on",
        # uvicorn takes whole seconds; rounding up keeps the backstop after the grace.
        timeout_graceful_shutdown=math.ceil(config.shutdown_grace_s + BACKSTOP_S),
    )

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:
            # The grace starts as uvicorn starts its shutdown: sockets closed, then the wait.
            grace.begin()
            await super().shutdown(sockets)

    server = Server(uvicorn_config)
    server.run()
    if fatal:
        raise ServeError(f"the model {reference!r} could not be served: {fatal[0]}")
    if not server.started:
        print(f"the server did not start (is port {config.port} on {config.host} free?)", file=sys.stderr)
        return 1
    return 0
