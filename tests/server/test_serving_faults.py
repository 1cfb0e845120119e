"""A serving process under registry faults and SIGTERM (real `safecoder serve`, small model).

- The alias file torn, then the alias moved to a version whose manifest is torn: the server
  keeps serving the last good model, says why in its log and in /health (`warning`), and
  switches once the manifest is whole again.
- SIGTERM with requests in flight: they are drained (answered) and the process exits 0;
  past the shutdown grace, those still running end with a 503 `server_shutting_down`
  (a stream: an error event, then `[DONE]`) and the process exits all the same.
"""

from __future__ import annotations

import json
import signal
import threading

import httpx
import pytest
from serve_process import start_serve

from safecoder.registry import Registry
from safecoder.registry.manifest import MANIFEST_FILE

pytestmark = pytest.mark.slow


def _complete(url: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/completions", json={"prompt": "def add(a, b):", "max_tokens": 4}, timeout=300)


def test_a_torn_alias_file_or_manifest_keeps_the_last_good_model(tmp_path, embedded_model, wait_for) -> None:
    registry = Registry(tmp_path / "registry")
    registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=("production",))
    registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    good_aliases = registry.aliases_file.read_text()
    manifest = registry.version_dir("v0002") / MANIFEST_FILE
    good_manifest = manifest.read_text()
    server = start_serve(["--model", "production", "--engine", "transformers", "--watch-interval-s", "0.2",
                          "--max-tokens-limit", "4", "--log-level", "info"], tmp_path / "serve.log",
                         env={"SAFECODER_REGISTRY": str(registry.root)})
    try:
        health = lambda: httpx.get(f"{server.url}/health", timeout=60).json()  # noqa: E731

        registry.aliases_file.write_text(good_aliases[: len(good_aliases) // 2])
        warned = wait_for(lambda: health().get("warning"), "a warning about the torn alias file")
        assert str(registry.aliases_file) in warned and "still serving v0001" in warned
        assert health()["model"]["version"] == "v0001" and health()["status"] == "ok"
        assert _complete(server.url).status_code == 200

        manifest.write_text(good_manifest[: len(good_manifest) // 2])
        state = json.loads(good_aliases)
        state["aliases"]["production"] = "v0002"
        registry.aliases_file.write_text(json.dumps(state))
        warned = wait_for(lambda: "v0002" in (health().get("warning") or "") and health()["warning"],
                          "a warning about the torn manifest")
        assert str(manifest) in warned and "corrupt" in warned and "still serving v0001" in warned
        assert health()["model"]["version"] == "v0001"
        assert _complete(server.url).status_code == 200
        assert "could not load v0002" in server.log.read_text()

        manifest.write_text(good_manifest)
        wait_for(lambda: health()["model"]["version"] == "v0002", "the switch once the manifest is whole",
                 deadline_s=600)
        assert "warning" not in health()
        assert _complete(server.url).status_code == 200
    finally:
        server.stop()


def test_sigterm_with_requests_in_flight_drains_them_and_exits_cleanly(tmp_path, embedded_model, wait_for) -> None:
    # Short answers, so all four drain within uvicorn's 30 s grace even on a busy machine; past it,
    # requests still running are cancelled (see docs/reliability.md).
    server = start_serve(["--model", "default", "--engine", "transformers", "--max-tokens-limit", "8",
                          "--gate", "off", "--max-concurrent", "2", "--log-level", "info"], tmp_path / "serve.log")
    answers: list[object] = []

    def ask(stream: bool) -> None:
        body = {"prompt": "def fibonacci(n):", "max_tokens": 8, "temperature": 0, "stream": stream}
        try:
            with httpx.stream("POST", f"{server.url}/v1/completions", json=body, timeout=300) as response:
                answers.append((response.status_code, response.read().decode()))
        except httpx.HTTPError as exc:
            answers.append(exc)

    try:
        threads = [threading.Thread(target=ask, args=(i % 2 == 1,)) for i in range(4)]
        for thread in threads:
            thread.start()
        # All four must have reached the server before the signal (a thread that connects
        # after it finds the port closed, which says nothing of draining): each is running,
        # waiting in the queue, or already answered.
        def received() -> bool:
            queue = httpx.get(f"{server.url}/health", timeout=30).json()["queue"]
            metrics = httpx.get(f"{server.url}/metrics", timeout=30).text
            answered = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                           if line.startswith('safecoder_requests_total{endpoint="completions"'))
            return queue["running"] > 0 and queue["running"] + queue["waiting"] + answered >= 4

        wait_for(received, "four requests received, at least one in flight", every_s=0.05)
        server.process.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(300)
        exit_code = server.process.wait(timeout=120)
    finally:
        server.stop()
    # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught, so the parent sees it.
    assert exit_code in (0, -signal.SIGTERM), server.log_tail()
    log = server.log.read_text(errors="replace")
    assert "Application shutdown complete" in log and "Finished server process" in log, server.log_tail()
    assert "Traceback" not in log, server.log_tail()
    assert len(answers) == 4
    for answer in answers:
        # Drained: an ordinary answer; or ended with a clear error (a 503 or an error event), never cut mid-way.
        assert isinstance(answer, tuple), f"a request in flight was cut: {answer!r}"
        status, text = answer
        assert status in (200, 503), text
        if "data:" in text:
            assert text.rstrip().endswith("data: [DONE]"), text[-300:]


def test_sigterm_past_the_grace_ends_running_generations_with_a_503_and_exits(tmp_path, embedded_model,
                                                                              wait_for) -> None:
    # Two long generations (2,000 tokens, EOS ignored) cannot finish in a 2 s grace: both must end
    # with the server's own error, the stream after what it had sent, and the process must exit.
    server = start_serve(["--model", "default", "--engine", "transformers", "--gate", "off", "--max-concurrent", "2",
                          "--shutdown-grace-s", "2", "--log-level", "info"], tmp_path / "serve.log")
    answers: dict[bool, object] = {}
    streaming = threading.Event()

    def ask(stream: bool) -> None:
        body = {"prompt": "def fibonacci(n):", "max_tokens": 2000, "ignore_eos": True, "temperature": 0,
                "stream": stream}
        try:
            with httpx.stream("POST", f"{server.url}/v1/completions", json=body, timeout=300) as response:
                lines = []
                for line in response.iter_lines():
                    lines.append(line)
                    if '"text"' in line:
                        streaming.set()
                answers[stream] = (response.status_code, "\n".join(lines))
        except httpx.HTTPError as exc:
            answers[stream] = exc

    try:
        # The stream first, then the whole answer: an engine that generates one request at a
        # time would otherwise finish the whole answer before the stream's first text (on a
        # busy machine, minutes), leaving one generation for the grace instead of two.
        threads = [threading.Thread(target=ask, args=(stream,)) for stream in (True, False)]
        threads[0].start()
        wait_for(streaming.is_set, "the stream's first text", every_s=0.05)
        threads[1].start()
        wait_for(lambda: httpx.get(f"{server.url}/health", timeout=30).json()["queue"]["running"] == 2,
                 "both generations running", every_s=0.05)
        server.process.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(120)
        exit_code = server.process.wait(timeout=60)
    finally:
        server.stop()
    log = " ".join(server.log.read_text(errors="replace").split())  # rich wraps long lines
    assert exit_code in (0, -signal.SIGTERM), server.log_tail()
    assert "waiting up to 2 s for 2 running generation(s)" in log, server.log_tail()
    assert "shutdown grace of 2 s ran out: ending 2 unfinished generation(s) with 503 server_shutting_down" in log
    assert "Traceback" not in log and "timeout graceful shutdown exceeded" not in log, server.log_tail()
    assert "Finished server process" in log, server.log_tail()

    status, text = answers[False]
    assert status == 503, text
    error = json.loads(text)["error"]
    assert error["code"] == "server_shutting_down" and "2 s grace period" in error["message"]
    status, text = answers[True]
    assert status == 200, text
    events = [line[len("data: "):] for line in text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert json.loads(events[-2])["error"]["code"] == "server_shutting_down"
    assert any("choices" in json.loads(event) for event in events[:-2]), text[:3000]
