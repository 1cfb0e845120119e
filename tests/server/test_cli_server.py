"""`safecoder serve` (transformers engine, real embedded model) driven by the official `openai` client.

One server for the module (see conftest `cli_server`): API keys, a rate-limited key, one
generation at a time with a queue of two, and `production` followed in the registry.
The promotion test runs last because it moves the alias.
"""

import json

import httpx
import openai
import pytest

from safecoder.prompts.fim import trim_to_suffix

pytestmark = pytest.mark.slow

GATE_OFF = {"safecoder": {"gate": "off"}}


def test_health_models_and_the_served_version(cli_server):
    with cli_server.http(key=None) as http:
        health = http.get("/health")
    assert health.status_code == 200 and health.json()["ready"] is True
    assert health.json()["model"]["engine"] == "transformers"
    models = cli_server.client().models.list().data
    assert [m.id for m in models] == ["production"]
    card = models[0].model_extra["safecoder"]
    assert card["version"] == "v0001" and card["fim_format"] is None
    assert (card["gate"], card["gate_candidates"], card["gate_steer"], card["gate_min_kept"]) == (
        "rerank", 3, False, 0.25), "as the flags said"
    assert {"production", "v0001", "safecoder-v0001"} <= set(card["accepted_ids"])


def test_greedy_completion_is_reproducible_and_reports_usage_and_gate(cli_server):
    client = cli_server.client()
    first = client.completions.create(model="production", prompt="def fibonacci(n):\n", max_tokens=8,
                                      temperature=0)
    second = client.completions.create(model="v0001", prompt="def fibonacci(n):\n", max_tokens=8, temperature=0)
    assert first.choices[0].text == second.choices[0].text and first.choices[0].text.strip()
    assert first.usage.prompt_tokens > 0 and 0 < first.usage.completion_tokens <= 8
    assert first.choices[0].finish_reason in ("stop", "length")
    gate = first.choices[0].model_extra["safecoder"]
    assert gate["action"] in ("passed", "reranked", "annotated", "unchecked")
    assert gate["candidates"] >= 1 and isinstance(gate["findings"], list)
    assert first.model_extra["safecoder"] == {"gate": "rerank", "model_version": "v0001"}


def test_n_samples_with_a_seed_and_stop_strings(cli_server):
    client = cli_server.client()
    request = dict(model="production", prompt="# Python\nimport", max_tokens=6, temperature=1.0, n=3, seed=11,
                   stop=["\n"], extra_body=GATE_OFF)
    first = client.completions.create(**request)
    again = client.completions.create(**request)
    assert [c.index for c in first.choices] == [0, 1, 2]
    assert [c.text for c in first.choices] == [c.text for c in again.choices]
    assert all("\n" not in c.text for c in first.choices)
    assert any(c.finish_reason == "stop" for c in first.choices + again.choices)


def test_fill_in_the_middle_stops_where_the_suffix_begins(cli_server):
    """The embedded model has no FIM tokens: the prefix-only fallback must cut at the suffix."""
    client = cli_server.client()
    prefix, suffix = "def fibonacci(n):", "    return n * fibonacci(n - 1)\n"
    plain = client.completions.create(model="production", prompt=prefix, max_tokens=24, temperature=0,
                                      extra_body=GATE_OFF).choices[0]
    assert suffix.strip() in plain.text, "precondition: the model writes on into what the suffix holds"
    infilled = client.completions.create(model="production", prompt=prefix, suffix=suffix, max_tokens=24,
                                         temperature=0, extra_body=GATE_OFF).choices[0]
    assert infilled.text == trim_to_suffix(plain.text, suffix)
    assert infilled.text.strip() and suffix.strip() not in infilled.text
    assert infilled.finish_reason == "stop"
    assert len(infilled.text) < plain.text.index(suffix.strip())


def test_chat_and_its_live_stream_agree(cli_server):
    client = cli_server.client()
    messages = [{"role": "user", "content": "Write a Python function that adds two numbers."}]
    answer = client.chat.completions.create(model="production", messages=messages, max_tokens=12, temperature=0,
                                            extra_body=GATE_OFF)
    text = answer.choices[0].message.content
    assert text.strip() and answer.choices[0].message.role == "assistant"
    chunks = list(client.chat.completions.create(model="production", messages=messages, max_tokens=12,
                                                 temperature=0, stream=True, extra_body=GATE_OFF,
                                                 stream_options={"include_usage": True}))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == text
    assert len(pieces) > 3, "a live stream sends text as it is generated"
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert final[-1].choices[0].model_extra["safecoder"]["action"] == "unchecked"
    assert chunks[-1].usage.completion_tokens == answer.usage.completion_tokens

    judged = client.chat.completions.create(model="production", messages=messages, max_tokens=40, temperature=0,
                                            extra_body={"safecoder": {"gate": "annotate"}}).choices[0]
    verdict = judged.model_extra["safecoder"]
    if "```" in judged.message.content:
        assert verdict["action"] in ("passed", "annotated"), "the answer's code block is judged"
    else:
        assert verdict["action"] == "passed", "an answer without code has nothing to flag"


def test_gated_stream_sends_the_chosen_text_with_its_verdict(cli_server):
    client = cli_server.client()
    stream = client.completions.create(model="production", prompt="def greet(name):\n", max_tokens=8,
                                       temperature=0, stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    verdicts = [c.choices[0].model_extra.get("safecoder") for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(verdicts) == 1 and verdicts[0]["action"] in ("passed", "reranked", "annotated", "unchecked")
    plain = client.completions.create(model="production", prompt="def greet(name):\n", max_tokens=8, temperature=0)
    if verdicts[0]["action"] == "passed":
        assert text == plain.choices[0].text


def test_requests_without_a_valid_key_are_refused(cli_server, api_keys):
    with pytest.raises(openai.AuthenticationError) as caught:
        cli_server.client(key=None).models.list()
    assert "API key" in caught.value.message
    with pytest.raises(openai.AuthenticationError):
        cli_server.client(key="sk-not-a-real-key").completions.create(model="production", prompt="x", max_tokens=1)
    with cli_server.http(key=None) as http:
        assert http.get("/metrics").status_code == 401
        assert http.get("/health").status_code == 200
    # Keys never reach the log.
    assert api_keys["main"] not in cli_server.log.read_text() and "sk-not-a-real-key" not in cli_server.log.read_text()


def test_a_key_past_its_rate_limit_gets_429(cli_server, api_keys):
    client = cli_server.client(key=api_keys["tight"])
    for _ in range(3):
        client.models.list()
    with pytest.raises(openai.RateLimitError) as caught:
        client.models.list()
    assert int(caught.value.response.headers["Retry-After"]) >= 1
    cli_server.client().models.list()  # other keys are unaffected


@pytest.mark.parametrize("body, status, named", [
    (b'{"model": "production", "prompt": "x"', 400, "not valid JSON"),
    ({"model": "production", "prompt": "x", "best_of": 3, "colour": "red"}, 400, "best_of"),
    ({"model": "production", "prompt": "x", "temperature": 7}, 400, "temperature"),
    ({"model": "production", "prompt": "x", "response_format": {"type": "json_object"}}, 400, "response_format"),
    ({"model": "gpt-4", "prompt": "x"}, 404, "gpt-4"),
    ({"model": "production", "prompt": "word " * 9000, "max_tokens": 8}, 400, "context"),
    ({"model": "production", "messages": [{"role": "user"}]}, 400, "content"),
    ({"model": "production", "prompt": "x" * 250_000}, 413, "larger than"),
])
def test_bad_input_gets_an_openai_error_naming_the_problem(cli_server, body, status, named):
    route = "/v1/chat/completions" if "messages" in str(body) else "/v1/completions"
    with cli_server.http() as http:
        if isinstance(body, bytes):
            response = http.post(route, content=body, headers={"Content-Type": "application/json"})
        else:
            response = http.post(route, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert named in error["message"] and error["type"]


def test_unknown_model_and_bad_values_through_the_openai_client(cli_server):
    client = cli_server.client()
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="production", prompt="x", top_p=0)
    assert "top_p" in caught.value.message
    # A field no engine acts on is ignored, logged and named in a header (vLLM's rule), not refused.
    raw = client.completions.with_raw_response.create(model="production", prompt="x", max_tokens=1,
                                                      extra_body={"unknown_option": 1, **GATE_OFF})
    assert raw.headers["X-SafeCoder-Ignored-Fields"] == "unknown_option"
    assert "unknown_option" in cli_server.log.read_text()


def test_a_client_that_leaves_cancels_its_generation(cli_server, wait_for):
    def cancelled() -> float:
        with cli_server.http() as http:
            text = http.get("/metrics").text
        return sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith("safecoder_cancelled_total"))

    before = cancelled()
    with cli_server.http() as http:
        with http.stream("POST", "/v1/completions", json={
                "model": "production", "prompt": "Once upon a time", "max_tokens": 4000, "temperature": 0.9,
                "ignore_eos": True, "stream": True, "safecoder": {"gate": "off"}}) as response:
            assert response.status_code == 200
            for number, _ in enumerate(response.iter_lines()):
                if number >= 6:
                    break
    wait_for(lambda: cancelled() > before, "the server to cancel the stream")
    with cli_server.http() as http:
        wait_for(lambda: http.get("/health").json()["queue"]["running"] == 0, "the generation slot to free up")
        # A non-streaming request whose client gives up is cancelled too. `ignore_eos` keeps a
        # sampled end-of-text from finishing it inside the client's 3 s.
        with pytest.raises(httpx.ReadTimeout):
            http.post("/v1/completions", timeout=3, json={
                "model": "production", "prompt": "Once upon a time", "max_tokens": 4000, "temperature": 0.9,
                "ignore_eos": True})
    wait_for(lambda: cancelled() > before + 1, "the server to cancel the abandoned request")
    with cli_server.http() as http:
        wait_for(lambda: http.get("/health").json()["queue"]["running"] == 0, "the generation slot to free up")


def test_a_full_queue_answers_503(cli_server, wait_for):
    """One request generates and two wait (--max-concurrent 1 --max-queue 2); the next is refused."""
    body = {"model": "production", "prompt": "Once upon a time", "max_tokens": 3000, "temperature": 0.9,
            "ignore_eos": True, "stream": True, "safecoder": {"gate": "off"}}
    with cli_server.http() as http:
        held = [http.stream("POST", "/v1/completions", json=body) for _ in range(3)]
        opened = []
        try:
            for stream in held:
                opened.append(stream.__enter__())
            wait_for(lambda: http.get("/health").json()["queue"] == {"running": 1, "waiting": 2},
                       "one running and two waiting")
            refused = http.post("/v1/completions", json=body)
            assert refused.status_code == 503 and refused.json()["error"]["code"] == "queue_full"
            assert refused.headers["Retry-After"]
        finally:
            for stream in held[:len(opened)]:
                stream.__exit__(None, None, None)
        wait_for(lambda: http.get("/health").json()["queue"] == {"running": 0, "waiting": 0}, "the queue to drain")


def test_metrics_expose_latency_ttft_tokens_queue_and_gate_counters(cli_server):
    with cli_server.http(key=None) as anonymous:
        assert anonymous.get("/v1/models").status_code == 401
    list(cli_server.client().completions.create(model="production", prompt="def f():\n", max_tokens=2,
                                                temperature=0, stream=True))
    with cli_server.http() as http:
        text = http.get("/metrics").text
    for name in ("safecoder_request_duration_seconds_bucket", "safecoder_time_to_first_token_seconds_bucket",
                 "safecoder_generation_tokens_per_second_bucket", "safecoder_generated_tokens_total",
                 "safecoder_queue_depth", "safecoder_gate_actions_total", "safecoder_rejections_total",
                 'safecoder_model_info{engine="transformers"'):
        assert name in text, name
    assert 'safecoder_rejections_total{reason="unauthorized"}' in text
    assert 'safecoder_requests_total{endpoint="completions",status="200"}' in text



def test_the_gate_catches_sql_built_by_concatenation(cli_server, sql_prefix):
    """Real model, real analyzer: the model copies the concatenated query of the function above."""
    client = cli_server.client()
    first_candidate_line = sql_prefix.count("\n") + 1
    seen = client.completions.create(model="production", prompt=sql_prefix, max_tokens=40, temperature=0,
                                     stop=["\n\n"], extra_body={"safecoder": {"gate": "annotate"}}).choices[0]
    verdict = seen.model_extra["safecoder"]
    assert verdict["action"] == "annotated", seen.text
    assert {f["cwe"] for f in verdict["findings"]} == {"CWE-089"}
    assert all(f["start_line"] >= first_candidate_line for f in verdict["findings"]), "the prefix's own finding"
    assert seen.text.strip() and verdict["candidates"] == 1

    blocked = client.completions.create(model="production", prompt=sql_prefix, max_tokens=40, temperature=0,
                                        stop=["\n\n"], extra_body={"safecoder": {"gate": "block"}}).choices[0]
    outcome = blocked.model_extra["safecoder"]
    assert outcome["candidates"] == 3 and outcome["rejected"] >= 1
    if outcome["action"] == "blocked":
        assert blocked.text == "" and blocked.finish_reason == "content_filter"
        # Blocked: no clean alternative that keeps the draw's code (`gate.choose`). An
        # alternative the analyzer could not judge, or a clean one that rewrites the draw,
        # is not rejected and does not replace it either (seen on an AMX machine, session 22:
        # 2 of 3 rejected, blocked), so the count is not always 3.
        assert {f["cwe"] for f in outcome["findings"]} == {"CWE-089"}
    else:
        assert outcome["action"] in ("reranked", "unchecked") and outcome["findings"] == []
        assert blocked.text != seen.text
    with cli_server.http() as http:
        metrics = http.get("/metrics").text
    assert 'safecoder_gate_findings_total{action="annotated",cwe="CWE-089"}' in metrics


def test_a_promotion_is_picked_up_without_dropping_requests_in_flight(cli_server, server_registry, wait_for):
    from safecoder.registry import Registry

    registry = Registry(server_registry)
    client = cli_server.client()
    new_version = registry.register(None, kind="embedded", base_model="smollm2-135m", notes="promotion test",
                                    aliases=()).version
    with cli_server.http() as http:
        with http.stream("POST", "/v1/completions", json={
                "model": "production", "prompt": "def fibonacci(n):\n", "max_tokens": 16, "temperature": 0,
                "stream": True, "safecoder": {"gate": "off"}}) as response:
            lines = (line for line in response.iter_lines() if line.startswith("data: "))
            first = next(lines)
            assert json.loads(first[len("data: "):])["safecoder"]["model_version"] == "v0001"
            registry.promote(new_version, reason="promotion test")
            in_flight = {"lines": [first, *lines]}
    assert in_flight["lines"][-1] == "data: [DONE]"
    bodies = [json.loads(line[len("data: "):]) for line in in_flight["lines"][:-1]]
    assert all("error" not in b for b in bodies)
    assert {b["safecoder"]["model_version"] for b in bodies} == {"v0001"}
    assert bodies[-1]["choices"][0]["finish_reason"] in ("stop", "length")

    wait_for(lambda: client.models.list().data[0].model_extra["safecoder"]["version"] == new_version,
               f"the server to serve {new_version}")
    answer = client.completions.create(model="production", prompt="def f():\n", max_tokens=4, temperature=0)
    assert answer.model_extra["safecoder"]["model_version"] == new_version

    registry.rollback(reason="promotion test rolls back")
    wait_for(lambda: client.models.list().data[0].model_extra["safecoder"]["version"] == "v0001",
               "the server to roll back to v0001")


def test_a_version_that_fails_to_load_leaves_the_old_one_serving(cli_server, server_registry, wait_for, tmp_path):
    from safecoder.registry import Registry

    broken = tmp_path / "broken-weights"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "llama"}')
    registry = Registry(server_registry)
    serving_now = cli_server.client().models.list().data[0].model_extra["safecoder"]["version"]
    version = registry.register(broken, kind="full", base_model="default", aliases=()).version
    registry.promote(version, reason="a broken promotion")
    try:
        wait_for(lambda: f"could not load {version}" in cli_server.log.read_text(), "the failed load to be logged")
        client = cli_server.client()
        assert client.models.list().data[0].model_extra["safecoder"]["version"] == serving_now
        answer = client.completions.create(model="production", prompt="def f():\n", max_tokens=2, temperature=0,
                                           extra_body=GATE_OFF)
        assert answer.model_extra["safecoder"]["model_version"] == serving_now
    finally:
        registry.rollback(reason="undo the broken promotion")
