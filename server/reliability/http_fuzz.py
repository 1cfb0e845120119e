"""The HTTP API under fuzzing: its own OpenAPI schema (schemathesis), then hostile bodies.

Input: the root URL of a running `safecoder serve` (loopback) and a budget. Output: a
`Tally` per part. Two parts:

- `fuzz_schema`: every operation of `/openapi.json`, with bodies that follow the schema
  (positive) and bodies that break it (negative: wrong types, missing fields, values out
  of range), drawn by hypothesis through schemathesis. Every answer must be 2xx or 4xx.
- `fuzz_hostile`: what a schema does not describe: a body over the size limit (declared
  and undeclared), JSON nested 100,000 deep, invalid UTF-8, lone UTF-16 surrogates, NaN
  and huge numbers, empty prompts, wrong content types, a slowloris body (a few bytes a
  second while other clients must still be served), streams cancelled mid-answer, and
  malformed HTTP. Each must end in a clear 4xx (OpenAI error JSON) or a 2xx.

A request with no answer within `timeout_s` is a hang; the server not answering
`/health` afterwards is a crash (both end the part, and are counted). Not a load test:
requests go one at a time (the slowloris and cancellation probes open a few at once).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import cast
from urllib.parse import urlsplit

import httpx

from safecoder.server.reliability.tally import Tally

DEFAULT_TIMEOUT_S = 120.0


def server_alive(base_url: str, timeout_s: float = 30.0) -> bool:
    try:
        return httpx.get(f"{base_url}/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


# ----- schema-driven fuzzing -----------------------------------------------------------
def fuzz_schema(base_url: str, examples: int, seed: int = 0, timeout_s: float = DEFAULT_TIMEOUT_S,
                headers: dict[str, str] | None = None) -> Tally:
    """About `examples` requests drawn from the server's OpenAPI schema, split over its
    operations and over positive and negative generation."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hypothesis_seed
    from schemathesis import GenerationMode
    from schemathesis.core.result import Err

    tally = Tally("http schema")
    started = time.monotonic()
    document = httpx.get(f"{base_url}/openapi.json", headers=headers, timeout=timeout_s).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            # An operation of the server's own schema that schemathesis cannot read: a defect
            # of the server to fix, not a part of the API to leave out of the fuzzing.
            raise result.err()
        operations.append(result.ok())
    session = requests.Session()
    stop: list[str] = []

    def send(case) -> None:
        if stop:
            return
        what = f"{case.method} {case.formatted_path} body={_excerpt(case.body)}"
        try:
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=timeout_s)
        except requests.Timeout:
            tally.requests += 1
            tally.hangs += 1
            tally.fail(f"no answer in {timeout_s:.0f} s: {what}")
            stop.append("hang")
            return
        except requests.ConnectionError as exc:
            tally.requests += 1
            if not server_alive(base_url):
                tally.crashes += 1
                tally.fail(f"server gone after {what}: {exc}")
                stop.append("crash")
            else:
                tally.fail(f"connection dropped without an answer: {what}")
                tally.server_errors += 1
            return
        except (ValueError, TypeError, UnicodeError):
            return  # a request the client library itself cannot send (a header it cannot encode)
        tally.record_status(response.status_code, f"{what}: {response.text[:300]}")

    rounds, per_call = 0, max(1, examples // (2 * len(operations)))
    while tally.requests < examples and not stop:
        before = tally.requests
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for operation in operations:
                remaining = examples - tally.requests
                if remaining <= 0 or stop:
                    break

                # cast: hypothesis iterates HealthCheck through its metaclass's unannotated
                # __iter__, which pyright reads as yielding the metaclass, not the members.
                @hypothesis_seed(seed * 1_000 + rounds)
                @settings(max_examples=min(per_call, remaining), database=None, deadline=None,
                          phases=[Phase.generate], suppress_health_check=cast("list[HealthCheck]", list(HealthCheck)),
                          verbosity=Verbosity.quiet)
                @given(case=operation.as_strategy(generation_mode=mode))
                def run(case) -> None:
                    send(case)

                try:
                    run()
                except Exception as exc:  # hypothesis gave up on an unsatisfiable strategy
                    tally.fail(f"generation for {operation.label} ({mode.value}) stopped: {type(exc).__name__}")
        rounds += 1
        if tally.requests == before:
            break
    tally.seconds = time.monotonic() - started
    return tally


def _excerpt(value, limit: int = 300) -> str:
    try:
        text = json.dumps(value, ensure_ascii=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# ----- hostile bodies ----------------------------------------------------------------
GENERATING = ("/v1/completions", "/v1/chat/completions", "/v1/fim/completions", "/infill")


def hostile_bodies(max_request_bytes: int) -> Iterator[tuple[str, str, bytes, dict[str, str]]]:
    """(label, path, raw body, headers) for every hand-written hostile body."""
    json_type = {"Content-Type": "application/json"}
    deep = b'{"prompt": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    fields = {
        "/v1/completions": {"prompt": "def f():", "max_tokens": 2},
        "/v1/chat/completions": {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2},
        "/v1/fim/completions": {"prompt": "def f():", "suffix": "\n", "max_tokens": 2},
        "/infill": {"input_prefix": "def f():", "input_suffix": "\n", "n_predict": 2},
    }
    text_field = {"/v1/completions": "prompt", "/v1/fim/completions": "suffix", "/infill": "input_prefix"}
    for path in GENERATING:
        base = fields[path]
        yield f"{path} too large", path, b'{"prompt": "' + b"a" * (max_request_bytes + 10) + b'"}', json_type
        yield f"{path} nested 100000 deep", path, deep, json_type
        yield f"{path} invalid UTF-8", path, json.dumps(base).encode()[:-1] + b', "user": "\xff\xfe\xc3"}', json_type
        yield f"{path} not JSON", path, b"{'prompt': 'x'", json_type
        yield f"{path} empty body", path, b"", json_type
        yield f"{path} a JSON list", path, b"[1, 2, 3]", json_type
        yield f"{path} a JSON string", path, b'"prompt"', json_type
        yield f"{path} text/plain", path, json.dumps(base).encode(), {"Content-Type": "text/plain"}
        yield f"{path} NaN temperature", path, json.dumps({**base, "temperature": float("nan")}).encode(), json_type
        yield f"{path} huge max_tokens", path, json.dumps({**base, "max_tokens": 10**30}).encode(), json_type
        yield f"{path} negative n", path, json.dumps({**base, "n": -1}).encode(), json_type
        yield f"{path} stop as a number", path, json.dumps({**base, "stop": 7}).encode(), json_type
        yield f"{path} a null body field", path, json.dumps(dict.fromkeys(base)).encode(), json_type
        yield f"{path} wrong types", path, json.dumps({k: [v] for k, v in base.items()}).encode(), json_type
        yield f"{path} a million-key object", path, b'{"prompt": "x", ' + b", ".join(
            b'"k%d": 0' % i for i in range(max_request_bytes // 16)) + b"}", json_type
        if path in text_field:
            body = json.dumps({**base, text_field[path]: "x\ud800y"}).encode()
            yield f"{path} lone surrogate", path, body, json_type
            yield f"{path} empty text", path, json.dumps({**base, text_field[path]: ""}).encode(), json_type
            yield f"{path} NUL bytes", path, json.dumps({**base, text_field[path]: "a\u0000b"}).encode(), json_type
        if path == "/v1/chat/completions":
            yield "chat lone surrogate", path, b'{"messages": [{"role": "user", "content": "\\udfff"}]}', json_type
            yield "chat unknown role", path, json.dumps({"messages": [{"role": "tool", "content": "x"}]}).encode(), \
                json_type
            yield "chat empty messages", path, json.dumps({"messages": []}).encode(), json_type
        yield f"{path} surrogate in a field name", path, json.dumps({**base, "x\udc80": 1}).encode(), json_type
        yield f"{path} non-latin field name", path, json.dumps({**base, "温度": 1}).encode(), json_type
    yield "infill bad logit_bias pair", "/infill", json.dumps(
        {"input_prefix": "x", "n_predict": 2, "logit_bias": [[1, "x"], [2, None]]}).encode(), json_type


def fuzz_hostile(base_url: str, max_request_bytes: int, timeout_s: float = DEFAULT_TIMEOUT_S,
                 headers: dict[str, str] | None = None, rounds: int = 1,
                 on_round: Callable[[int], None] | None = None) -> Tally:
    """Every hostile body, `rounds` times, then the slowloris, cancelled streams and bad HTTP."""
    tally = Tally("http hostile")
    started = time.monotonic()
    with httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s) as client:
        for round_number in range(rounds):
            for label, path, body, extra in hostile_bodies(max_request_bytes):
                if not _send(tally, base_url, label, lambda p=path, b=body, e=extra: client.post(p, content=b,
                                                                                                  headers=e)):
                    tally.seconds = time.monotonic() - started
                    return tally
            if on_round is not None:
                on_round(round_number)
    _slowloris(tally, base_url, headers, timeout_s)
    _cancelled_streams(tally, base_url, headers, timeout_s)
    _bad_http(tally, base_url)
    if not server_alive(base_url):
        tally.crashes += 1
        tally.fail("the server stopped answering /health after the hostile connections")
    tally.seconds = time.monotonic() - started
    return tally


def _send(tally: Tally, base_url: str, label: str, call: Callable[[], httpx.Response]) -> bool:
    """Send one request and count its outcome; False when the server hung or died."""
    try:
        response = call()
    except httpx.TimeoutException:
        tally.requests += 1
        tally.hangs += 1
        tally.fail(f"no answer: {label}")
        return False
    except httpx.TransportError as exc:
        tally.requests += 1
        if server_alive(base_url):
            tally.server_errors += 1
            tally.fail(f"connection dropped without an answer: {label} ({exc})")
            return True
        tally.crashes += 1
        tally.fail(f"server gone after: {label} ({exc})")
        return False
    tally.record_status(response.status_code, f"{label}: {response.text[:300]}")
    if response.status_code >= 400 and not _openai_error(response):
        tally.fail(f"{label}: {response.status_code} without an OpenAI error body: {response.text[:200]}")
    return True


def _openai_error(response: httpx.Response) -> bool:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(error, dict) and bool(error.get("message"))


def _address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _slowloris(tally: Tally, base_url: str, headers: dict[str, str] | None, timeout_s: float) -> None:
    """Three connections trickle a body at a few bytes a second; meanwhile other clients must be
    served; when the bodies are complete they get ordinary answers."""
    body = json.dumps({"prompt": "def add(a, b):", "max_tokens": 2, "temperature": 0}).encode()
    host, port = _address(base_url)
    answers: list[bytes] = [b""] * 3

    def trickle(index: int) -> None:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            head = ["POST /v1/completions HTTP/1.1", f"Host: {host}", "Content-Type: application/json",
                    f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in (headers or {}).items()), "", ""]
            sock.sendall("\r\n".join(head).encode())
            for offset in range(0, len(body), 8):
                sock.sendall(body[offset:offset + 8])
                time.sleep(0.25)
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
            answers[index] = b"".join(chunks)

    threads = [threading.Thread(target=trickle, args=(i,), daemon=True) for i in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    served_meanwhile = _send(tally, base_url, "health while slow bodies trickle",
                             lambda: httpx.get(f"{base_url}/health", timeout=10))
    if not served_meanwhile or (any(thread.is_alive() for thread in threads) and not server_alive(base_url, 10)):
        return
    for thread in threads:
        thread.join(timeout_s)
        if thread.is_alive():
            tally.requests += 1
            tally.hangs += 1
            tally.fail("a slowloris body got no answer after it was complete")
            continue
    for answer in answers:
        if answer:
            tally.record_status(_status_of(answer), f"slowloris body: {answer[:200]!r}")


def _complete(raw: bytes) -> bool:
    head, _, rest = raw.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(rest) >= int(line.split(b":", 1)[1])
    return False


def _status_of(raw: bytes) -> int:
    try:
        return int(raw.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 599


def _cancelled_streams(tally: Tally, base_url: str, headers: dict[str, str] | None, timeout_s: float,
                       count: int = 6) -> None:
    """Streams closed by the client after the first bytes: afterwards nothing stays running."""
    bodies = [("/v1/completions", {"prompt": "def fib(n):", "max_tokens": 64, "stream": True}),
              ("/v1/chat/completions", {"messages": [{"role": "user", "content": "write a loop"}],
                                        "max_tokens": 64, "stream": True, "safecoder": {"gate": "off"}})]
    for index in range(count):
        path, body = bodies[index % len(bodies)]
        try:
            with httpx.Client(base_url=base_url, headers=headers, timeout=timeout_s) as client, \
                    client.stream("POST", path, json=body) as response:
                tally.record_status(response.status_code, f"cancelled stream {path}")
                for _ in response.iter_bytes():
                    break  # leave after the first bytes
        except httpx.TimeoutException:
            tally.requests += 1
            tally.hangs += 1
            tally.fail(f"a stream of {path} sent nothing in {timeout_s:.0f} s")
            return
        except httpx.TransportError as exc:
            tally.requests += 1
            tally.server_errors += 1
            tally.fail(f"stream of {path} dropped: {exc}")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            queue = httpx.get(f"{base_url}/health", timeout=10).json()["queue"]
        except (httpx.HTTPError, ValueError, KeyError):
            break
        if queue["running"] == 0 and queue["waiting"] == 0:
            return
        time.sleep(0.2)
    tally.hangs += 1
    tally.fail("generations of cancelled streams were still running after the timeout")


def _bad_http(tally: Tally, base_url: str) -> None:
    """Malformed requests at the socket: each must get a 4xx or a closed connection, no more."""
    host, port = _address(base_url)
    probes = [
        b"GARBAGE\r\n\r\n",
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{",  # then closed
    ]
    for probe in probes:
        try:
            with socket.create_connection((host, port), timeout=30) as sock:
                sock.sendall(probe)
                sock.shutdown(socket.SHUT_WR)
                answer = sock.recv(4096)
        except OSError:
            answer = b""
        tally.requests += 1
        if answer:
            status = _status_of(answer)
            tally.requests -= 1
            tally.record_status(status, f"malformed HTTP {probe[:40]!r}: {answer[:120]!r}")
        else:
            tally.client_errors += 1  # the connection was closed: refused, as it should be
