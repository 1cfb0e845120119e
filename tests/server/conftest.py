"""Real servers for the server tests: `safecoder serve` as a subprocess, or uvicorn in a thread.

- `registry_with_production` (session): a registry of its own with the embedded model
  registered as v0001 and promoted to `production`.
- `cli_server` (session): `safecoder serve --model production --engine transformers` in a
  subprocess, with API keys (one with a tight rate limit), small limits and a fast
  registry watcher; driven with the official `openai` client and httpx.
- `ThreadServer`: `create_app` under uvicorn in a thread of the test process, for the vLLM
  engine (its tests look inside the running engine).

Servers bind port 0 and report the port they got; waiting is on events (the banner line,
/health), never on fixed sleeps.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import openai
import pytest
from serve_process import ServeProcess, start_serve

KEYS = {"main": "sk-test-main-000001", "tight": "sk-test-tight-00002"}
START_DEADLINE_S = 900
SQL_PREFIX = (
    "import sqlite3\n\n"
    "def get_user(db, name):\n"
    "    cursor = db.cursor()\n"
    "    cursor.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\")\n"
    "    return cursor.fetchone()\n\n"
    "def get_order(db, order_id):\n"
    "    cursor = db.cursor()\n"
    "    cursor.execute("
)


class CliServer(ServeProcess):
    def client(self, key: str | None = KEYS["main"], timeout: float = 600) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=key or "none", max_retries=0, timeout=timeout)

    def http(self, key: str | None = KEYS["main"], timeout: float = 600) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


def start_cli_server(args: list[str], env: dict[str, str], log: Path) -> CliServer:
    started = start_serve(args, log, env, deadline_s=START_DEADLINE_S)
    return CliServer(started.process, started.url, started.log)


def wait_until(condition, what: str, deadline_s: float = 600, every_s: float = 0.2):
    """Poll `condition()` until it returns a truthy value; fail naming `what` otherwise."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every_s)
    pytest.fail(f"gave up waiting for {what} after {deadline_s} s")


@pytest.fixture(scope="session")
def sql_prefix() -> str:
    """Python whose likeliest continuation copies the concatenated (injectable) query above it."""
    return SQL_PREFIX


@pytest.fixture(scope="session")
def api_keys() -> dict[str, str]:
    """The keys `cli_server` accepts: `main`, and `tight` (3 requests per minute)."""
    return dict(KEYS)


@pytest.fixture(scope="session")
def wait_for():
    """`wait_until` for tests (polls a condition, fails naming what never happened)."""
    return wait_until


@pytest.fixture(scope="session")
def server_registry(tmp_path_factory) -> Path:
    """A registry holding the embedded model as v0001, promoted to production."""
    from safecoder.registry import Registry

    root = tmp_path_factory.mktemp("server-registry")
    registry = Registry(root)
    registry.register(None, kind="embedded", base_model="smollm2-135m", notes="server tests", aliases=("candidate",))
    registry.promote("v0001", reason="server tests start here")
    return root


@pytest.fixture(scope="session")
def key_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "api-keys.txt"
    path.write_text(f"# test keys\n{KEYS['main']} name=main\n{KEYS['tight']} rpm=3 name=tight\n")
    return path


@pytest.fixture(scope="session")
def cli_server(server_registry, key_file, tmp_path_factory, embedded_model):
    """`safecoder serve` on the transformers engine, following the registry's production alias;
    it accepts only the served model's ids (`--model-names served`), so unknown names get 404."""
    log = tmp_path_factory.mktemp("logs") / "cli-server.log"
    server = start_cli_server(
        ["--model", "production", "--engine", "transformers", "--api-key-file", str(key_file),
         "--gate", "rerank", "--gate-candidates", "3", "--no-gate-steer", "--gate-min-kept", "0.25",
         "--watch-interval-s", "0.3",
         "--max-concurrent", "1", "--max-queue", "2", "--max-request-bytes", "200000",
         "--max-tokens-limit", "4096", "--model-names", "served", "--log-level", "info"],
        env={"SAFECODER_REGISTRY": str(server_registry)}, log=log,
    )
    try:
        yield server
    finally:
        server.stop()


class ThreadServer:
    """`create_app(config)` under uvicorn in a background thread of the test process."""

    def __init__(self, config, reference: str, keys=None):
        import uvicorn

        from safecoder.server.access import KeyRing
        from safecoder.server.app import create_app

        self.guard = create_app(config, keys or KeyRing([], 0), reference)
        self.server = uvicorn.Server(uvicorn.Config(self.guard, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)

    @property
    def state(self):
        return self.guard.app.state.safecoder

    def start(self) -> ThreadServer:
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), "uvicorn to bind")
        if not self.thread.is_alive():
            pytest.fail("uvicorn stopped while starting")
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        wait_until(lambda: self.state.status != "loading", "the model to load", deadline_s=START_DEADLINE_S, every_s=0.5)
        if self.state.status != "ok":
            pytest.fail(f"the model did not load: {self.state.error}")
        return self

    def client(self, timeout: float = 600) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key="none", max_retries=0, timeout=timeout)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=180)


@pytest.fixture(scope="session")
def thread_server_factory():
    """`ThreadServer(config, reference)`: call `.start()`, and `.stop()` when done."""
    return ThreadServer
