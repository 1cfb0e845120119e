"""Fixtures for the language server's tests: a real `safecoder lsp` driven by a real LSP client.

The client (`safecoder.server.lsp.client.EditorClient`, pygls's client plus what an
editor adds) lives on an event loop in a background thread, so synchronous tests call
it through `Session`. Servers are started once per module where tests can share them;
every wait is for a notification or a response, never a sleep.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from safecoder.server.lsp.client import EditorClient

REPO = Path(__file__).resolve().parents[2]

VULNERABLE_PY = """import sqlite3


def find_user(connection: sqlite3.Connection, name: str):
    cursor = connection.cursor()
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)
    return cursor.fetchone()
"""
# The same function with the query parameter bound: what a correct fix looks like.
FIXED_PY = VULNERABLE_PY.replace(
    """cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)""",
    """cursor.execute("SELECT * FROM users WHERE name = ?", (name,))""",
)


@pytest.fixture(scope="session")
def samples() -> dict[str, str]:
    """Source texts shared by the tests (fixtures, since test modules cannot import conftest)."""
    return {"vulnerable_py": VULNERABLE_PY, "fixed_py": FIXED_PY}


@pytest.fixture(scope="session")
def command():
    """Builds the command line of a language server under test."""
    return lsp_command


def lsp_command(*flags: str) -> list[str]:
    """`python -m safecoder.server.lsp` with `flags`, in this test run's environment."""
    return [sys.executable, "-m", "safecoder.server.lsp", *flags]


class LoopThread:
    """An asyncio loop in a daemon thread; `run` submits a coroutine and waits for it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="lsp-test-loop", daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 300.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


class Session:
    """A connected client and the loop it runs on, with synchronous helpers."""

    def __init__(self, loop: LoopThread, client: EditorClient):
        self.loop, self.client = loop, client

    def run(self, coroutine, timeout: float = 300.0):
        try:
            return self.loop.run(coroutine, timeout)
        except BaseException:
            sys.stderr.write("---- language server log (tail) ----\n" + "\n".join(self.client.stderr_tail) + "\n")
            raise

    def call(self, function, *args):
        """Run a synchronous client method (a notification) on the loop's thread."""
        async def wrapper():
            return function(*args)
        return self.run(wrapper())

    def open(self, uri: str, language_id: str, text: str) -> None:
        self.call(self.client.open, uri, language_id, text)

    def change(self, uri: str, text: str) -> int:
        return self.call(self.client.change, uri, text)

    def diagnostics(self, uri: str, version: int | None = None, timeout: float = 60.0):
        return self.run(self.client.wait_for_diagnostics(uri, version, timeout=timeout))

    def status(self) -> dict:
        return self.run(self.client.status())


@pytest.fixture(scope="session")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


def start_session(loop: LoopThread, command: list[str], initialization_options: dict | None = None,
                  capabilities=None) -> Session:
    async def connect() -> EditorClient:
        client = EditorClient()
        extra = {"capabilities": capabilities} if capabilities is not None else {}
        await client.connect(command, initialization_options=initialization_options, cwd=str(REPO), **extra)
        return client

    return Session(loop, loop.run(connect(), timeout=120))


def stop_session(session: Session) -> None:
    session.run(session.client.close(), timeout=120)


@pytest.fixture(scope="module")
def analysis_session(loop: LoopThread) -> Iterator[Session]:
    """A language server for diagnostics only: its model is never loaded (`--no-preload`)."""
    session = start_session(loop, lsp_command("--no-preload", "--diagnostics-debounce-ms", "50"))
    yield session
    stop_session(session)


@pytest.fixture(scope="module")
def start_server(loop: LoopThread) -> Iterator:
    """Starts extra language servers for this module (`start_server(flags, options)`); all stop at its end."""
    started: list[Session] = []

    def start(flags: list[str], initialization_options: dict | None = None, capabilities=None) -> Session:
        session = start_session(loop, lsp_command(*flags), initialization_options, capabilities)
        started.append(session)
        return session

    yield start
    for session in started:
        stop_session(session)


class ScriptedCompletionServer:
    """A real OpenAI-compatible HTTP server on loopback that answers from a script.

    It stands in for a capable model behind a SafeCoder server: the embedded model is
    too weak to write a real fix, and no other model can be downloaded here. Only the
    answers are scripted; the language server's HTTP client, its prompt, and its
    verification of every candidate (parser and analyzer) are the real ones. It checks
    the Bearer token like a SafeCoder server with `--api-key-file`, and records every
    request it receives.
    """

    MODEL = "scripted-fixer"

    def __init__(self, api_key: str):
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.api_key = api_key
        self.requests: list[dict] = []
        self.fix_answers: list[str] = []
        self.completion_text = ""
        self.completion_verdict: dict = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # keep pytest's output clean
                pass

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {owner.api_key}":
                    return True
                self._reply(401, {"error": {"message": "invalid API key", "type": "authentication_error",
                                            "code": "invalid_api_key"}})
                return False

            def do_GET(self):
                if not self._authorised():
                    return
                if self.path.rstrip("/") == "/v1/models":
                    self._reply(200, {"object": "list", "data": [{"id": owner.MODEL, "object": "model",
                                                                  "created": 0, "owned_by": "test"}]})
                else:
                    self._reply(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self):
                if not self._authorised():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append(body)
                if self.path.rstrip("/") != "/v1/completions":
                    self._reply(404, {"error": {"message": f"no route {self.path}"}})
                    return
                if "Fix the security weakness" in body["prompt"]:
                    texts = owner.fix_answers[: body.get("n", 1)]
                    choices = [{"index": i, "text": t, "finish_reason": "stop", "logprobs": None,
                                "safecoder": {"action": "unchecked", "findings": [], "candidates": 1, "rejected": 0}}
                               for i, t in enumerate(texts)]
                else:
                    choices = [{"index": 0, "text": owner.completion_text, "finish_reason": "stop",
                                "logprobs": None, "safecoder": owner.completion_verdict}]
                self._reply(200, {"id": "cmpl-test", "object": "text_completion", "created": 0,
                                  "model": owner.MODEL, "choices": choices,
                                  "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                                  "safecoder": {"gate": "rerank", "model_version": None}})

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture(scope="module")
def scripted_server() -> Iterator[ScriptedCompletionServer]:
    server = ScriptedCompletionServer(api_key="test-key-123")
    yield server
    server.close()
