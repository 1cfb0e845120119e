"""A real OpenAI-compatible HTTP server on loopback whose answers are prepared rewrites.

It stands in for a model that can write fixes: the small model the tests can load
rarely writes a correct one, and no other model can be fetched here. Only the answers
are prepared; `safecoder fix`'s HTTP client (the language server's `RemoteBackend`, the
official `openai` client), its prompt, and the verification of every rewrite (tree-sitter,
the analyzer, the compilers) are the real ones and decide what is offered.

Answers are queued per language (the language is read from the request's code fence);
each request takes its `n` answers from the front of its queue. `on_request` runs before
answering (a test uses it to change a file while its fix is being generated).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

FENCES = {"```python": "python", "```javascript": "javascript", "```go": "go", "```c\n": "c"}


class PreparedRewriteServer:
    MODEL = "prepared-rewrites"

    def __init__(self) -> None:
        self.queues: dict[str, list[str]] = {}
        self.requests: list[dict] = []
        self.on_request: Callable[[dict], None] | None = None
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path.rstrip("/") == "/v1/models":
                    self._reply(200, {"object": "list", "data": [{"id": owner.MODEL, "object": "model", "created": 0,
                                                                  "owned_by": "test"}]})
                else:
                    self._reply(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append(body)
                if owner.on_request is not None:
                    owner.on_request(body)
                language = next((name for fence, name in FENCES.items() if fence in body["prompt"]), None)
                queue = owner.queues.get(language, [])
                texts = [queue.pop(0) for _ in range(min(int(body.get("n", 1)), len(queue)))]
                choices = [{"index": i, "text": text, "finish_reason": "stop", "logprobs": None}
                           for i, text in enumerate(texts)]
                self._reply(200, {"id": "cmpl-prepared", "object": "text_completion", "created": 0,
                                  "model": owner.MODEL, "choices": choices,
                                  "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def rewrite_server() -> Iterator[PreparedRewriteServer]:
    server = PreparedRewriteServer()
    yield server
    server.close()
