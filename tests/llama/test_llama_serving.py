"""The llama.cpp engine behind the HTTP server and the language server, with the embedded GGUF.

The HTTP server is the real app under uvicorn on loopback in a thread of this process
(so the test can read the engine's own counters), driven by the official `openai`
client and httpx; the language server is a real `python -m safecoder.server.lsp`
subprocess driven over stdio by the project's LSP client.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from llama_testing import LanguageServer, LlamaServer, wait_until

from safecoder.engines import GenerationRequest, SamplingParams

pytestmark = pytest.mark.slow

CODE = "def add(a, b):\n    return"
SUFFIX = "\n\n\nprint(add(1, 2))\n"


@pytest.fixture(scope="module")
def server():
    running = LlamaServer(gate="rerank", gate_candidates=3, gate_draw="eager").start()
    yield running
    running.stop()


def test_completions_through_the_server_are_the_engines_own(server):
    client = server.client()
    models = client.models.list().data
    assert any("llama" in json.dumps(m.model_dump()) for m in models)
    answer = client.completions.create(model="default", prompt=CODE, max_tokens=16, temperature=0,
                                       extra_body={"safecoder": {"gate": "off"}})
    direct = server.engine.generate_batch([GenerationRequest(CODE, SamplingParams(max_new_tokens=16))])[0]
    assert answer.choices[0].text == direct.texts[0]
    assert answer.usage.prompt_tokens == direct.prompt_tokens

    chunks = client.completions.create(model="default", prompt=CODE, max_tokens=16, temperature=0, stream=True,
                                       extra_body={"safecoder": {"gate": "off"}})
    pieces = [c.choices[0].text for c in chunks if c.choices]
    assert len([p for p in pieces if p]) > 1 and "".join(pieces) == direct.texts[0]


def test_n_choices_and_the_gates_candidates_share_decode_calls(server):
    client = server.client()
    answer = client.completions.create(model="default", prompt=CODE, max_tokens=12, temperature=0.8, n=3, seed=4,
                                       extra_body={"safecoder": {"gate": "off"}})
    assert sorted(c.index for c in answer.choices) == [0, 1, 2]
    before = server.engine.stats()
    gated = client.completions.create(model="default", prompt=CODE, max_tokens=12, temperature=0,
                                      extra_body={"safecoder": {"gate": "rerank", "language": "python"}})
    after = server.engine.stats()
    assert len(gated.choices) == 1
    drawn = after["sampled_tokens"] - before["sampled_tokens"]
    calls = after["decode_calls"] - before["decode_calls"]
    # Three candidates were drawn at once (eager): three times the tokens, not the calls.
    assert drawn > 12 and calls <= 2 * 13
    assert after["peak_rows_per_call"] >= 3


def test_fill_in_the_middle_falls_back_to_the_prefix_for_a_model_without_fim_tokens(server):
    assert server.engine.fim_format is None
    answer = server.client().completions.create(model="default", prompt=CODE, suffix=SUFFIX, max_tokens=48,
                                                temperature=0, extra_body={"safecoder": {"gate": "off"}})
    text = answer.choices[0].text
    assert "print(add(1, 2))" not in text
    direct = server.engine.generate_batch([GenerationRequest(CODE, SamplingParams(max_new_tokens=48))])[0].texts[0]
    assert direct.startswith(text.rstrip()), "the answer is the prefix-only completion, cut at the suffix"


def test_leaving_a_stream_cancels_its_generation(server):
    before_sampled = server.engine.stats()["sampled_tokens"]
    cancelled = server.metric("safecoder_cancelled_total")
    body = {"model": "default", "prompt": "numbers = [1, 2, 3, 4, 5, 6, 7, 8,", "max_tokens": 2000,
            "temperature": 0, "ignore_eos": True, "stream": True, "safecoder": {"gate": "off"}}
    with httpx.Client(timeout=600) as http, http.stream("POST", f"{server.url}/v1/completions", json=body) as response:
        lines = response.iter_lines()
        received = [line for line, _ in zip(lines, range(4), strict=False)]
    assert any(line.startswith("data: ") for line in received)
    wait_until(lambda: server.metric("safecoder_cancelled_total") > cancelled, "the server to see the client leave")
    wait_until(lambda: server.engine.stats()["active_requests"] == 0, "the engine to drop the request")
    assert server.engine.stats()["sampled_tokens"] - before_sampled < 200, "far from 2,000 tokens"
    follow_up = server.client().completions.create(model="default", prompt=CODE, max_tokens=4, temperature=0,
                                                   extra_body={"safecoder": {"gate": "off"}})
    assert follow_up.choices[0].text


# ----- the language server -------------------------------------------------------------
@pytest.fixture(scope="module")
def language_server():
    session = LanguageServer("--engine", "llama", "--model", "default", "--gate", "rerank", "--gate-candidates", "2",
                             "--no-diagnostics", "--no-fixes")
    yield session
    session.close()


def _end(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines) - 1, len(lines[-1])


def test_language_server_completes_with_llama_cpp_in_process(language_server):
    client = language_server.client
    uri = "file:///project/fim.py"
    text = CODE + SUFFIX
    language_server.call(client.open, uri, "python", text)
    line, character = _end(CODE)
    result = language_server.run(client.inline_completion(uri, line, character))
    assert len(result.items) == 1 and result.items[0].insert_text.strip()
    assert "print(add(1, 2))" not in result.items[0].insert_text
    status = language_server.run(client.status())
    assert "llama engine" in status["backend"]
    assert sum(status["gate_actions"].values()) >= 1, "the gate judged the two candidates"


def test_language_server_cancels_a_llama_cpp_generation(language_server):
    from lsprotocol import types
    from pygls.exceptions import JsonRpcRequestCancelled

    client = language_server.client
    language_server.call(client.workspace_did_change_configuration,
                         types.DidChangeConfigurationParams(settings={"safecoder": {"maxTokens": 400}}))
    uri = "file:///project/cancel.py"
    text = "numbers = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, "
    language_server.call(client.open, uri, "python", text)
    before = language_server.run(client.status())

    async def request_then_cancel():
        pending = asyncio.ensure_future(client.inline_completion(uri, *_end(text), msg_id="cancel-llama"))
        while not pending.done() and (await client.status())["generations"] == before["generations"]:
            pass
        client.cancel("cancel-llama")
        return await asyncio.gather(pending, return_exceptions=True)

    [outcome] = language_server.run(request_then_cancel())
    assert isinstance(outcome, JsonRpcRequestCancelled), outcome
    assert language_server.run(client.status())["cancelled"] == before["cancelled"] + 1
    language_server.call(client.workspace_did_change_configuration,
                         types.DidChangeConfigurationParams(settings={"safecoder": {"maxTokens": 24}}))
    result = language_server.run(client.inline_completion(uri, *_end(text)))
    assert len(result.items) <= 1
