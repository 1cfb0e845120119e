"""Helpers of the llama.cpp tests: the HTTP server and the language server, really running.

- `LlamaServer`: the real app (`create_app`) under uvicorn on loopback, in a thread of the
  test process, so a test can read the engine's own counters beside the HTTP answers.
- `LanguageServer`: a real `python -m safecoder.server.lsp` subprocess and the project's
  LSP client on an event loop in a thread.
Waiting polls a condition with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from safecoder.engines import create_engine

REPO = Path(__file__).resolve().parents[2]


def wait_until(condition, what: str, deadline_s: float = 600):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what} after {deadline_s} s")


class LlamaServer:
    """`create_app` with the llama.cpp engine, under uvicorn on loopback in a thread."""

    def __init__(self, **config):
        import uvicorn

        from safecoder.server.access import KeyRing
        from safecoder.server.app import create_app
        from safecoder.server.config import ServerConfig

        self.engines = []

        def factory(kind, model, **options):
            engine = create_engine(kind, model, **options)
            self.engines.append(engine)
            return engine

        config = {"model": "default", "engine": "llama", **config}
        settings = ServerConfig(port=0, log_level="warning", **config)
        self.guard = create_app(settings, KeyRing([], 0), config["model"], engine_factory=factory)
        self.server = uvicorn.Server(uvicorn.Config(self.guard, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, name="llama-server", daemon=True)

    def start(self) -> LlamaServer:
        self.thread.start()
        state = self.guard.app.state.safecoder
        wait_until(lambda: (self.server.started and state.status != "loading") or not self.thread.is_alive(),
                   "the server to load its engine")
        assert state.status == "ok", state.error
        self.url = f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"
        return self

    @property
    def engine(self):
        return self.engines[-1]

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key="none", max_retries=0, timeout=600)

    def metric(self, name: str) -> float:
        text = httpx.get(f"{self.url}/metrics", timeout=60).text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(name) and not line.startswith("#"))

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=120)


class LanguageServer:
    """A `safecoder lsp` subprocess and the project's LSP client, on a loop in a thread."""

    def __init__(self, *flags: str):
        from safecoder.server.lsp.client import EditorClient

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="lsp-client", daemon=True)
        self.thread.start()
        self.client = EditorClient()
        command = [sys.executable, "-m", "safecoder.server.lsp", *flags]
        self.run(self.client.connect(command, initialization_options={"temperature": 0, "completionDebounceMs": 0,
                                                                       "maxTokens": 24}, cwd=str(REPO)))

    def run(self, coroutine, timeout: float = 600):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function, *args):
        async def wrapper():
            return function(*args)
        return self.run(wrapper())

    def close(self) -> None:
        self.run(self.client.close(), timeout=120)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
