"""The soaks, short: HTTP clients against a real `safecoder serve`, then editors typing into
real `safecoder lsp` processes over stdio that take their suggestions from it, gate on.

The small model (SmolLM2-135M on llama.cpp) serves; the benchmark commands run the same code
for 10 minutes at 16 clients (`python -m safecoder.server.reliability.soak`, `... .lsp_soak`).
"""

from __future__ import annotations

import asyncio
import signal

import pytest
from serve_process import start_serve

from safecoder.server.reliability.lsp_soak import lsp_soak
from safecoder.server.reliability.soak import SoakReport, aggregate, soak

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("soak") / "serve.log"
    served = start_serve(["--model", "smollm2-135m", "--engine", "llama", "--gate", "rerank",
                          "--gate-candidates", "2"], log)
    yield served
    served.stop()


def test_http_clients_for_a_while_get_answers_and_no_error(server):
    report = asyncio.run(soak(server.url, clients=3, minutes=0.25, max_tokens=8, pid=server.process.pid,
                              warmup_s=3))
    assert report.requests >= 6 and report.errors == 0, report.text()
    assert {"complete", "stream", "cancel"} <= set(report.by_kind), report.by_kind
    assert report.rss_start_mib and report.rss_end_mib


def test_editors_typing_into_language_servers_get_answers_and_the_servers_exit_cleanly(server):
    report, exit_codes = asyncio.run(lsp_soak(server.url, clients=2, minutes=0.25, warmup_s=3))
    assert report.requests >= 2 and report.errors == 0, report.text()
    assert "inline" in report.by_kind, report.by_kind
    assert exit_codes == [0, 0]
    assert report.rss_start_mib and report.rss_end_mib
    assert report.per_minute and report.per_minute[0].p50_s is not None


def test_the_soak_report_counts_errors_and_overload_apart():
    report = aggregate(SoakReport(2, 1.0, subject="lsp soak"), [
        (0, "inline", 1.0, 200), (0, "cancel", 0.1, 200), (0, "inline: no answer in 120 s", 120.0, 500),
        (1, "chat", 2.0, 429), (1, "client 1: the language server exited", 0.0, 500)])
    assert (report.requests, report.errors, report.overloaded) == (5, 2, 1)
    assert report.by_kind == {"inline": 2, "cancel": 1, "chat": 1, "client 1": 1}
    assert report.per_minute[0].p50_s == pytest.approx(0.55) and report.per_minute[1].p50_s is None
    assert "minute 0: inline: no answer in 120 s -> 500" in report.first_errors
    assert report.text().startswith("lsp soak: 2 clients, 1 min: 5 requests, 2 errors, 1 overloaded")


def test_sigterm_after_the_soaks_exits_cleanly(server):
    # uvicorn drains, then re-raises the SIGTERM it caught: -15 is its clean exit.
    server.stop()
    assert server.process.returncode in (0, -signal.SIGTERM)
