"""The HTTP API fuzzed (schemathesis over its OpenAPI schema, hand-written hostile bodies) against a
real `safecoder serve` on loopback with the small model, and a regression test per crash found.

The budget is small here (CI); `SAFECODER_FUZZ_PROFILE=full` runs the benchmark's budget, and
`make bench-reliability` runs the fuzzers with 10,000 requests. Every answer must be a 2xx or
a 4xx with OpenAI error JSON: never a 5xx, a hang or a dead server.
"""

from __future__ import annotations

import json
import os

import httpx
import pytest
from serve_process import start_serve

from safecoder.server.reliability.http_fuzz import fuzz_hostile, fuzz_schema

pytestmark = pytest.mark.slow

PROFILES = {"ci": {"examples": 80}, "full": {"examples": 10_000}}
PROFILE = PROFILES[os.environ.get("SAFECODER_FUZZ_PROFILE", "ci")]
MAX_REQUEST_BYTES = 100_000


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedded_model):
    log = tmp_path_factory.mktemp("fuzz") / "serve.log"
    served = start_serve(["--model", "default", "--engine", "transformers", "--gate", "rerank",
                          "--gate-candidates", "2", "--max-tokens-limit", "4", "--max-n", "2",
                          "--max-request-bytes", str(MAX_REQUEST_BYTES), "--log-level", "info"], log)
    yield served
    served.stop()


def _error(response: httpx.Response) -> dict:
    return response.json()["error"]


def test_schema_fuzzing_finds_no_5xx_hang_or_crash(server) -> None:
    tally = fuzz_schema(server.url, PROFILE["examples"], seed=0, timeout_s=300)
    assert tally.requests >= PROFILE["examples"] * 0.8, tally.line()
    assert tally.client_errors > 0 and tally.ok > 0, f"the fuzzer should reach both outcomes: {tally.line()}"
    assert tally.clean, f"{tally.line()}\n" + "\n".join(tally.failures) + "\n" + server.log_tail()


def test_hostile_bodies_get_clear_4xx_answers(server) -> None:
    tally = fuzz_hostile(server.url, MAX_REQUEST_BYTES, timeout_s=300)
    assert tally.clean and not tally.failures, f"{tally.line()}\n" + "\n".join(tally.failures)
    assert tally.client_errors >= 60, tally.line()


@pytest.mark.parametrize(("path", "body", "param"), [
    ("/v1/completions", {"prompt": "x\ud800", "max_tokens": 2}, "prompt"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "\udfff"}]}, "messages.0.content"),
    ("/infill", {"input_prefix": "\ud800", "input_suffix": "x", "n_predict": 2}, "prompt"),
])
def test_regression_lone_surrogates_are_a_400_naming_the_field(server, path, body, param) -> None:
    # json.dumps escapes the surrogate as \\ud800, as a client's JSON encoder would; httpx's json= refuses it.
    response = httpx.post(f"{server.url}{path}", content=json.dumps(body), timeout=120,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert param in _error(response)["message"] and "surrogate" in _error(response)["message"]


def test_regression_an_empty_prompt_is_a_400(server) -> None:
    response = httpx.post(f"{server.url}/v1/completions", json={"prompt": "", "max_tokens": 2}, timeout=120)
    assert response.status_code == 400, response.text
    assert _error(response)["code"] == "empty_prompt"


def test_regression_non_ascii_ignored_field_names_are_escaped_in_the_header(server) -> None:
    response = httpx.post(f"{server.url}/v1/completions", timeout=120,
                          json={"prompt": "def f():", "max_tokens": 2, "温度": 1, "a\r\nX-Injected: 1": 2})
    assert response.status_code == 200, response.text
    assert "x-injected" not in response.headers
    assert "\\u6e29\\u5ea6" in response.headers["x-safecoder-ignored-fields"]


def test_regression_infill_bias_pairs_with_a_non_number_are_a_400(server) -> None:
    response = httpx.post(f"{server.url}/infill", timeout=120,
                          json={"input_prefix": "x", "n_predict": 2, "logit_bias": [[1, "x"]]})
    assert response.status_code == 400 and _error(response)["param"] == "logit_bias"


def test_regression_unparsable_bodies_get_the_openai_error_shape(server) -> None:
    deep = b'{"prompt": ' + b"[" * 40_000 + b"]" * 40_000 + b"}"  # under the 100 kB limit
    for body in (deep, b'{"prompt": "\xff\xfe"}'):
        response = httpx.post(f"{server.url}/v1/completions", content=body, timeout=120,
                              headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and "could not be parsed" in _error(response)["message"]


def test_regression_a_body_over_the_limit_gets_its_413_not_a_reset(server) -> None:
    for _ in range(3):
        response = httpx.post(f"{server.url}/v1/chat/completions", timeout=120,
                              content=b'{"prompt": "' + b"a" * (MAX_REQUEST_BYTES * 3) + b'"}',
                              headers={"Content-Type": "application/json"})
        assert response.status_code == 413


def test_a_logit_bias_token_outside_the_vocabulary_is_not_a_500(server) -> None:
    response = httpx.post(f"{server.url}/v1/completions", timeout=120,
                          json={"prompt": "x", "max_tokens": 2, "logit_bias": {"99999999": 5}})
    assert response.status_code < 500, response.text
