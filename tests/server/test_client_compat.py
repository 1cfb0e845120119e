"""The requests editors and SDKs really send, replayed against a real server.

The server is the real app under uvicorn on loopback (`ThreadServer`), with the
llama.cpp engine on the embedded model's GGUF and the default gate (`rerank`); it is
driven with the clients' own request bodies, copied in shape from their public source
(the file each comes from is named beside it; values a user configures, like the model
name, are filled in), with raw httpx so that nothing is normalised on the way, and with
the official `openai` SDK. Every row of the compatibility table in docs/server.md points
at a test here.
"""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest

from safecoder.server.config import ServerConfig

pytestmark = pytest.mark.slow

LIMIT = 48  # --max-tokens-limit: small, so clamped requests end quickly with finish_reason "length"
PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))\n"
QWEN_STOPS = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
              "<|repo_name|>", "<|file_sep|>", "<|im_start|>", "<|im_end|>"]

# Continue, autocomplete through the `openai` provider with a custom apiBase
# (core/llm/llms/OpenAI.ts `_legacystreamComplete`: `_convertArgs` without messages, plus
# `prompt` and `stream: true`). The prompt is Continue's Qwen FIM template rendered client
# side; the stops are the template's plus Continue's common ones (the full list is sent
# because the host is not api.openai.com).
CONTINUE_AUTOCOMPLETE = {
    "model": "qwen2.5-coder-1.5b", "max_tokens": 24, "temperature": 0.01,
    "stream": True, "stop": [*QWEN_STOPS, "/src/", "#- coding: utf-8", "```"],
    "prompt": f"<|fim_prefix|>{PREFIX}<|fim_suffix|>{SUFFIX}<|fim_middle|>",
}
# Continue, chat (`_streamChat` -> `_convertArgs`): maxTokens 4096 is its default for a model it does not know.
CONTINUE_CHAT = {
    "messages": [{"role": "user", "content": "Write a Python function that reverses a string."}],
    "model": "my-local-model", "max_tokens": 4096, "stream": True,
    "stop": ["<|im_end|>", "<|endoftext|>"],
}
# Continue, `_streamFim` of the Mistral-style providers: POST {apiBase}/fim/completions.
CONTINUE_FIM = {
    "model": "codestral-latest", "prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 24, "temperature": 0.01,
    "stop": ["\n\n"], "stream": True,
}
# Tabby, `openai/completion` (crates/http-api-bindings/src/completion/openai.rs): serde
# writes a missing suffix as null.
TABBY_COMPLETION = {"model": "safecoder", "prompt": PREFIX, "suffix": None, "max_tokens": 24, "temperature": 0.1,
                    "stream": True, "presence_penalty": 0.0}
# Tabby, `mistral/completion` (completion/mistral.rs): a u64 random_seed.
TABBY_MISTRAL_FIM = {"prompt": PREFIX, "suffix": SUFFIX, "model": "codestral-latest", "temperature": 0.1,
                     "max_tokens": 24, "stream": True, "random_seed": 18446744073709551557}
# Tabby, chat (chat/openai_chat.rs, async-openai): its own system prompt, an i64 seed that
# may be negative, presence_penalty 0.5 (the Answer Engine's default).
TABBY_CHAT = {
    "messages": [{"role": "system", "content": "You are \"Tabby\", a conscious sentient superintelligent artificial "
                                               "intelligence designed for helping software developers."},
                 {"role": "user", "content": "How do I read a file in Python?"}],
    "model": "safecoder", "max_tokens": 1920, "seed": -6917529027641081856, "stream": True, "temperature": 0.1,
    "presence_penalty": 0.5,
}
# llama.vim (autoload/llama.vim, `llama#fim`): the request behind every suggestion.
LLAMA_VIM_FIM = {
    "input_prefix": "import os\n\ndef add(a, b):\n", "input_suffix": "\n\nprint(add(1, 2))\n",
    "input_extra": [{"text": "def sub(a, b):\n    return a - b\n", "time": [1733000000, 1], "filename": "ops.py"}],
    "prompt": "    ", "n_predict": 24, "n_indent": 4, "top_k": 40, "top_p": 0.99, "stream": False,
    "samplers": ["top_k", "top_p", "infill"], "cache_prompt": True, "t_max_prompt_ms": 500,
    "t_max_predict_ms": 1500,
    "response_fields": ["content", "timings/prompt_n", "timings/prompt_ms", "timings/prompt_per_token_ms",
                        "timings/prompt_per_second", "timings/predicted_n", "timings/predicted_ms",
                        "timings/predicted_per_token_ms", "timings/predicted_per_second", "truncated",
                        "tokens_cached"],
}
# llama.vim (`s:ring_update`): warms llama.cpp's cache with extra context; nothing is generated.
LLAMA_VIM_RING_UPDATE = {
    "input_prefix": "", "input_suffix": "", "input_extra": LLAMA_VIM_FIM["input_extra"], "prompt": "",
    "n_predict": 0, "temperature": 0.0, "stream": False, "samplers": [], "cache_prompt": True,
    "t_max_prompt_ms": 1, "t_max_predict_ms": 1, "response_fields": [""],
}


@pytest.fixture(scope="module")
def server(thread_server_factory):
    config = ServerConfig(port=0, engine="llama", max_tokens_limit=LIMIT, gate_candidates=2, keep_alive_s=0.05,
                          rate_limit_rpm=0, log_level="warning")
    running = thread_server_factory(config, "default").start()
    yield running
    running.stop()


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=600) as client:
        yield client


def events(response: httpx.Response) -> tuple[list[str], list[dict]]:
    """(every SSE line that is not blank, the decoded data events); [DONE] is left in the lines."""
    lines = [line for line in response.iter_lines() if line]
    data = [json.loads(line[6:]) for line in lines if line.startswith("data: ") and line != "data: [DONE]"]
    return lines, data


def stream(http: httpx.Client, route: str, body: dict) -> tuple[httpx.Response, list[str], list[dict]]:
    with http.stream("POST", route, json=body) as response:
        assert response.status_code == 200, response.read()
        lines, data = events(response)
    assert not [d for d in data if "error" in d], data
    return response, lines, data


# ----- the clients' own bodies ---------------------------------------------------------------
def test_continue_autocomplete_with_a_fim_template_and_twelve_stops(http):
    response, lines, data = stream(http, "/v1/completions", CONTINUE_AUTOCOMPLETE)
    assert lines[-1] == "data: [DONE]"
    text = "".join(d["choices"][0]["text"] for d in data)
    finals = [d["choices"][0] for d in data if d["choices"][0]["finish_reason"]]
    assert len(finals) == 1 and finals[0]["safecoder"]["action"] != "unchecked", "the gate judged the code"
    assert "<|" not in text and "print(add(1, 2))" not in text
    assert response.headers.get("x-safecoder-ignored-fields") is None, "Continue sends nothing to ignore"


def test_sentinels_in_the_prompt_are_the_same_request_as_prompt_and_suffix(http):
    """The split is real: a client-rendered FIM prompt gets exactly the prompt + suffix answer."""
    gate_off = {"safecoder": {"gate": "off"}}
    rendered = http.post("/v1/completions", json={**CONTINUE_AUTOCOMPLETE, "stream": False, "temperature": 0,
                                                  **gate_off}).json()
    explicit = http.post("/v1/completions", json={"model": "x", "prompt": PREFIX, "suffix": SUFFIX, "max_tokens": 24,
                                                  "temperature": 0, **gate_off}).json()
    unsplit = http.post("/v1/completions", json={"model": "x", "prompt": PREFIX + SUFFIX, "max_tokens": 24,
                                                 "temperature": 0, **gate_off}).json()
    assert rendered["choices"][0]["text"] == explicit["choices"][0]["text"]
    assert explicit["choices"][0]["text"] != unsplit["choices"][0]["text"]


def test_continue_chat_with_max_tokens_4096_is_clamped_and_ends_with_length(http):
    response, _, data = stream(http, "/v1/chat/completions", {**CONTINUE_CHAT, "ignore_eos": True})
    assert response.headers["x-safecoder-clamped"] == f"max_tokens=4096->{LIMIT}"
    assert data[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [d["choices"][0]["finish_reason"] for d in data if d["choices"][0]["finish_reason"]] == ["length"]
    plain = http.post("/v1/chat/completions", json={**CONTINUE_CHAT, "stream": False, "ignore_eos": True}).json()
    assert plain["choices"][0]["finish_reason"] == "length" and plain["usage"]["completion_tokens"] == LIMIT


def test_continue_and_tabby_mistral_fim_bodies(http):
    for body in (CONTINUE_FIM, TABBY_MISTRAL_FIM):
        _, lines, data = stream(http, "/v1/fim/completions", body)
        assert lines[-1] == "data: [DONE]"
        # Tabby's client reads choices[0].delta.content as a string from every event.
        assert all(isinstance(d["choices"][0]["delta"]["content"], str) for d in data)
        assert data[-1]["choices"][0]["finish_reason"] in ("stop", "length")
        assert data[-1]["object"] == "chat.completion.chunk"
    answer = http.post("/v1/fim/completions", json={**CONTINUE_FIM, "stream": False, "temperature": 0}).json()
    assert answer["object"] == "chat.completion" and "print(add" not in answer["choices"][0]["message"]["content"]


def test_tabby_completion_and_chat_bodies(http):
    _, _, data = stream(http, "/v1/completions", TABBY_COMPLETION)
    assert all(isinstance(d["choices"][0]["text"], str) for d in data), "Tabby parses every event's text"
    assert any(d["choices"][0]["finish_reason"] for d in data)
    _, _, data = stream(http, "/v1/chat/completions", TABBY_CHAT)
    assert all(d["choices"] for d in data), "Tabby reads choices[0] of every event"
    assert "".join(d["choices"][0]["delta"].get("content") or "" for d in data).strip()


def test_llama_vim_infill_and_its_cache_warming_request(http):
    response = http.post("/infill", json=LLAMA_VIM_FIM)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(LLAMA_VIM_FIM["response_fields"]) <= set(answer) | {"timings/truncated"}
    assert isinstance(answer["content"], str) and "print(add" not in answer["content"]
    assert answer["timings/predicted_n"] >= 1 and answer["timings/prompt_n"] > 10
    assert answer["safecoder"]["action"] in ("passed", "reranked", "annotated", "unchecked")
    ignored = response.headers["x-safecoder-ignored-fields"]
    for name in ("cache_prompt", "samplers", "t_max_predict_ms", "n_indent", "input_extra"):
        assert name in ignored
    warm = http.post("/infill", json=LLAMA_VIM_RING_UPDATE)
    assert warm.status_code == 200 and warm.json() == {}
    _, lines, data = stream(http, "/infill", {**LLAMA_VIM_FIM, "stream": True, "response_fields": None})
    assert data[-1]["stop"] is True and all(d["stop"] is False for d in data[:-1])
    assert "data: [DONE]" not in lines, "llama.cpp's own endpoints end without [DONE]"


# ----- the rows of the table -------------------------------------------------------------
def test_sampling_extensions_are_accepted_and_honoured(http):
    base = {"model": "anything-at-all", "prompt": "Once upon a time", "max_tokens": 12, "temperature": 0.8,
            "seed": 3, "safecoder": {"gate": "off"}}
    answer = http.post("/v1/completions", json={**base, "top_k": 1, "min_p": 0.05, "repetition_penalty": 1.0})
    greedy = http.post("/v1/completions", json={**base, "temperature": 0})
    assert answer.status_code == 200 and answer.json()["choices"][0]["text"] == greedy.json()["choices"][0]["text"], \
        "top_k=1 is greedy"
    endless = http.post("/v1/completions", json={**base, "ignore_eos": True, "max_tokens": 30}).json()
    assert endless["choices"][0]["finish_reason"] == "length" and endless["usage"]["completion_tokens"] == 30
    penalised = http.post("/v1/chat/completions", json={
        "model": "gpt-4", "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 8,
        "presence_penalty": 0.5, "frequency_penalty": 0.5, "logit_bias": {"0": -100}}).json()
    assert penalised["choices"][0]["message"]["content"] is not None


def test_model_names_are_tolerated_and_models_report_their_context(http, server):
    models = http.get("/v1/models").json()["data"]
    card = models[0]
    assert card["max_model_len"] == server.state.slot.current.engine.max_context_tokens > 0
    assert time.time() - 3600 < card["created"] <= time.time()
    answer = http.post("/v1/completions", json={"model": "gpt-3.5-turbo-instruct", "prompt": "x", "max_tokens": 1})
    assert answer.status_code == 200 and answer.json()["model"] == card["id"]


def test_fields_no_engine_honours_are_ignored_logged_and_named(http, caplog):
    with caplog.at_level(logging.WARNING, logger="safecoder.server.serving"):
        response = http.post("/v1/completions", json={"model": "m", "prompt": "x", "max_tokens": 1,
                                                      "mirostat": 2, "typical_p": 0.9})
    assert response.status_code == 200
    assert response.headers["x-safecoder-ignored-fields"] == "mirostat, typical_p"
    assert any("mirostat" in record.getMessage() for record in caplog.records)
    refused = http.post("/v1/chat/completions", json={
        "model": "m", "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "lookup"}}]})
    assert refused.status_code == 400 and "tools" in refused.json()["error"]["message"]


def test_logprobs_on_completions_and_chat(http):
    answer = http.post("/v1/completions", json={"model": "m", "prompt": "def add(a, b):", "max_tokens": 6,
                                                "temperature": 0, "logprobs": 2, "safecoder": {"gate": "off"}}).json()
    choice = answer["choices"][0]
    logprobs = choice["logprobs"]
    assert "".join(logprobs["tokens"]) == choice["text"]
    assert all(lp <= 0 for lp in logprobs["token_logprobs"])
    # Greedy: each sampled token is the likeliest of its alternatives.
    assert all(max(top.values()) == pytest.approx(lp) for top, lp in zip(logprobs["top_logprobs"],
                                                                         logprobs["token_logprobs"], strict=True))
    assert all(len(top) == 2 for top in logprobs["top_logprobs"])
    chat = http.post("/v1/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": "hi"}],
                                                   "max_tokens": 5, "logprobs": True, "top_logprobs": 3}).json()
    content = chat["choices"][0]["logprobs"]["content"]
    assert "".join(t["token"] for t in content) == chat["choices"][0]["message"]["content"]
    assert all(len(t["top_logprobs"]) == 3 for t in content)


# ----- the openai SDK ----------------------------------------------------------------------------
def test_the_openai_sdk_for_completions_chat_and_streams(server):
    client = server.client()
    done = client.completions.create(model="whatever", prompt=PREFIX, suffix=SUFFIX, max_tokens=12, temperature=0,
                                     stop=[f"<stop{i}>" for i in range(16)], logprobs=1)
    assert done.choices[0].logprobs.tokens and done.choices[0].model_extra["safecoder"]["action"]
    chunks = list(client.chat.completions.create(
        model="whatever", messages=[{"role": "user", "content": "Write hello world in Python."}], max_tokens=12,
        temperature=0, stream=True, stream_options={"include_usage": True},
        extra_body={"top_k": 40, "repetition_penalty": 1.1}))
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    assert all(c.usage is None for c in chunks[:-1]), "usage is null on every chunk but the last"
    streamed = list(client.completions.create(model="whatever", prompt=PREFIX, max_tokens=8, temperature=0,
                                              stream=True, extra_body={"safecoder": {"gate": "block"}}))
    assert streamed[-1].choices[0].finish_reason in ("stop", "length", "content_filter")


def test_held_streams_send_a_keep_alive_first(http):
    """rerank/block hold text until the gate has chosen; the first byte is an SSE comment."""
    body = {"model": "m", "prompt": "import sqlite3\n\ndef find(db, name):\n", "max_tokens": 24, "temperature": 0,
            "stream": True, "safecoder": {"gate": "block", "language": "python"}}
    with http.stream("POST", "/v1/completions", json=body) as response:
        lines = [line for line in response.iter_lines() if line]
    assert lines[0] == ": keep-alive"
    first_data = next(i for i, line in enumerate(lines) if line.startswith("data: "))
    assert all(line == ": keep-alive" for line in lines[:first_data])
    assert lines[-1] == "data: [DONE]"


def test_the_load_test_times_first_byte_and_first_token_apart(server):
    """`make bench-serve`'s server runner: in a held mode the first byte (a keep-alive) comes before the text."""
    import asyncio

    from safecoder.server.loadtest import ServerRunner

    async def run():
        async with httpx.AsyncClient(timeout=600) as client:
            return await ServerRunner(server.url, "block", client, "default").run(
                "import sqlite3\n\ndef find(db, name):\n", 24)

    sample = asyncio.run(run())
    assert sample.ok and sample.tokens > 0
    assert sample.ttfb_s is not None and sample.ttfb_s < sample.ttft_s
