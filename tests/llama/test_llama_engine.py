"""The llama.cpp engine on the embedded model's real GGUF file (SmolLM2-135M-Instruct, Q4_1)."""

from __future__ import annotations

import asyncio

import pytest

from safecoder.engines import (
    EngineError,
    GenerationRequest,
    SamplingParams,
    create_engine,
    pick_engine,
)
from safecoder.engines.base import PromptTooLongError, run_sync
from safecoder.prompts import format_instruction
from safecoder.prompts.fim import trim_to_suffix

pytestmark = pytest.mark.slow

PROMPT = format_instruction("Write a Python function that returns the largest element of a list.")
CODE = "def add(a, b):\n    return"


def greedy(engine, prompt: str, tokens: int, **sampling) -> str:
    request = GenerationRequest(prompt, SamplingParams(max_new_tokens=tokens, **sampling))
    return engine.generate_batch([request])[0].texts[0]


def test_auto_picks_llama_cpp_for_the_embedded_model_on_a_cpu(embedded_model):
    assert pick_engine(embedded_model) == "llama"
    assert embedded_model.gguf.name == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_the_installed_llama_cpp_has_no_amx_kernels():
    """`make install` builds llama.cpp without its AMX kernels, which crash at the first
    decode on some AMX machines (llama.cpp#20824): a build with them lists `AMX_INT8 = 1`
    in its system info on a CPU that has AMX, as the one of session 22 did."""
    from safecoder.engines.llama_engine import _library, amx_in_library

    assert not amx_in_library(_library())


def test_greedy_completion_equals_llama_cpp_python_called_directly(llama_engine, embedded_model):
    from llama_cpp import Llama

    library = Llama(str(embedded_model.gguf), n_ctx=1024, n_threads=llama_engine.describe()["threads"],
                    verbose=False)
    try:
        expected = library.create_completion(PROMPT, max_tokens=40, temperature=0.0)["choices"][0]["text"]
    finally:
        library.close()
    result = llama_engine.generate_batch([GenerationRequest(PROMPT, SamplingParams(n=3, max_new_tokens=40))])[0]
    assert result.texts == [expected] * 3
    assert result.prompt_tokens == llama_engine.count_tokens(PROMPT)
    assert all(c.finish_reason in ("stop", "length") and c.token_count <= 40 for c in result.completions)


def test_seeded_sampling_reproduces_and_samples_share_decode_calls(llama_engine):
    def sample(seed: int):
        before = llama_engine.stats()
        sampling = SamplingParams(n=4, temperature=1.0, top_p=0.95, max_new_tokens=16, seed=seed)
        result = llama_engine.generate_batch([GenerationRequest(PROMPT, sampling)])[0]
        after = llama_engine.stats()
        return result, after["decode_calls"] - before["decode_calls"], after["sampled_tokens"] - before["sampled_tokens"]

    (a, calls, sampled), (b, _, _), (c, _, _) = sample(7), sample(7), sample(8)
    assert a.texts == b.texts
    assert a.texts != c.texts
    assert len(set(a.texts)) > 1, "four samples at temperature 1 should not all be equal"
    # Four candidates cost one decode call per token, not four: the prompt once, then
    # at most one call per generated position.
    assert sampled >= 4
    assert calls <= 1 + 16
    assert llama_engine.stats()["peak_rows_per_call"] >= 4


def test_stop_strings_end_samples_and_are_left_out(llama_engine):
    sampling = SamplingParams(n=3, temperature=0.8, max_new_tokens=48, stop=("\n",), seed=1)
    result = llama_engine.generate_batch([GenerationRequest(CODE, sampling)])[0]
    for completion in result.completions:
        assert "\n" not in completion.text
    assert any(c.finish_reason == "stop" and c.token_count < 48 for c in result.completions)
    unstopped = greedy(llama_engine, CODE, 48)
    stopped = greedy(llama_engine, CODE, 48, stop=("\n",))
    assert "\n" in unstopped and stopped == unstopped.split("\n")[0]


def test_stream_pieces_concatenate_to_the_generated_text(llama_engine):
    request = GenerationRequest(PROMPT, SamplingParams(max_new_tokens=32, stop=("\n\n",)))

    async def collect():
        deltas = [d async for d in llama_engine.stream(request)]
        return deltas, await llama_engine.generate(request)

    deltas, result = asyncio.run(collect())
    assert "".join(d.text for d in deltas) == result.texts[0]
    assert len([d for d in deltas if d.text]) > 3, "text arrives in several pieces"
    assert deltas[-1].finish_reason is not None and all(d.finish_reason is None for d in deltas[:-1])
    assert {d.prompt_tokens for d in deltas} == {result.prompt_tokens}


def test_leaving_a_stream_stops_its_generation(llama_engine):
    long_request = GenerationRequest(PROMPT, SamplingParams(max_new_tokens=2000, temperature=0.9, seed=3))

    async def scenario():
        before = llama_engine.stats()["sampled_tokens"]
        async for delta in llama_engine.stream(long_request):
            if delta.token_count >= 5:
                break
        follow_up = await llama_engine.generate(GenerationRequest(PROMPT, SamplingParams(max_new_tokens=4)))
        return llama_engine.stats()["sampled_tokens"] - before, follow_up

    sampled, follow_up = asyncio.run(scenario())
    assert follow_up.completions[0].token_count <= 4
    # The abandoned request was dropped at the next step: far from its 2,000 tokens.
    assert sampled < 40
    assert llama_engine.stats()["active_requests"] == 0


def test_concurrent_requests_are_decoded_together(llama_engine):
    prompts = [format_instruction(f"Write a Python function named f{i} that returns {i}.") for i in range(4)]
    requests = [GenerationRequest(p, SamplingParams(max_new_tokens=12)) for p in prompts]
    before = llama_engine.stats()["decode_calls"]
    results = llama_engine.generate_batch(requests)
    calls = llama_engine.stats()["decode_calls"] - before
    assert [r.request_id for r in results] == [r.request_id for r in requests]
    assert all(r.completions[0].text and r.prompt_tokens == llama_engine.count_tokens(p)
               for r, p in zip(results, prompts, strict=True))
    assert calls < 4 * 12, "four requests of 12 tokens shared llama_decode calls"


def test_more_samples_than_slots_run_in_waves(small_engine):
    sampling = SamplingParams(n=5, temperature=1.0, max_new_tokens=10, seed=11)
    result = small_engine.generate_batch([GenerationRequest(PROMPT, sampling)])[0]
    assert [c.index for c in result.completions] == list(range(5))
    assert all(c.finish_reason in ("stop", "length") and c.text for c in result.completions)
    assert len(set(result.texts)) > 1
    again = small_engine.generate_batch([GenerationRequest(PROMPT, sampling)])[0]
    assert again.texts == result.texts
    assert small_engine.stats()["peak_rows_per_call"] <= 2
    assert small_engine.stats()["active_requests"] == 0


def test_requests_beyond_the_kv_cache_wait_for_room(small_engine):
    # Each request reserves its prompt plus 400 cells of a 1,024-cell cache: at most two
    # fit at once, and the rest are admitted as earlier ones finish.
    requests = [GenerationRequest(f"# file {i}\n{CODE}", SamplingParams(max_new_tokens=400, stop=("\n",)))
                for i in range(4)]
    results = small_engine.generate_batch(requests)
    assert all(r.completions[0].finish_reason in ("stop", "length") for r in results)
    assert small_engine.stats()["active_requests"] == 0


def test_logprobs_are_sums_of_token_log_probabilities(llama_engine):
    short, long = (llama_engine.generate_batch([GenerationRequest(PROMPT, SamplingParams(
        max_new_tokens=k, logprobs=True))])[0].completions[0] for k in (4, 12))
    assert long.text.startswith(short.text)
    assert short.logprob < 0 and long.logprob <= short.logprob
    sampled = llama_engine.generate_batch([GenerationRequest(PROMPT, SamplingParams(
        n=3, temperature=1.0, max_new_tokens=8, seed=5, logprobs=True))])[0]
    assert all(c.logprob is not None and c.logprob < 0 for c in sampled.completions)


def test_chat_template_from_the_gguf_matches_the_tokenizer(llama_engine, transformers_tokenizer):
    from safecoder.prompts.chat import chat_prompt

    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Reverse a string in Go."}]
    assert llama_engine.apply_chat_template(messages) == chat_prompt(transformers_tokenizer, messages)
    prompt = llama_engine.apply_chat_template(messages[1:])
    # Special tokens in the rendered text are single tokens, as in transformers.
    assert llama_engine.tokenize(prompt) == transformers_tokenizer(prompt, add_special_tokens=False)["input_ids"]


def test_no_fim_tokens_means_the_prefix_only_fallback(llama_engine):
    assert llama_engine.fim_format is None
    assert not any(token in llama_engine.vocabulary for token in ("<fim_prefix>", "<|fim_prefix|>"))
    prefix, suffix = "def area(radius):\n    return", "\n\nprint(area(2))\n"
    completion = greedy(llama_engine, prefix, 24)
    trimmed = trim_to_suffix(completion, suffix)
    assert trimmed == completion[: len(trimmed)]


def test_bad_requests_get_clear_errors(llama_engine, embedded_model):
    huge = "x " * (llama_engine.max_context_tokens + 10)
    with pytest.raises(PromptTooLongError, match="exceeds the model's context"):
        llama_engine.generate_batch([GenerationRequest(huge, SamplingParams(max_new_tokens=8))])
    empty = llama_engine.generate_batch([GenerationRequest("", SamplingParams(max_new_tokens=4))])[0]
    assert empty.prompt_tokens == 1  # the BOS token starts an empty prompt
    with pytest.raises(EngineError, match="parallel_sequences"):
        create_engine("llama", embedded_model, parallel_sequences=64, batch_tokens=32)
    with pytest.raises(EngineError, match=r"unknown llama\.cpp engine option.*kv_cache_gib"):
        create_engine("llama", embedded_model, kv_cache_gib=2)
    weights_only = type(embedded_model)("x", "path", "x", weights=embedded_model.weights)
    with pytest.raises(EngineError, match="safecoder export gguf"):
        create_engine("llama", weights_only)


def test_a_closed_engine_refuses_requests(embedded_model):
    engine = create_engine("llama", embedded_model, parallel_sequences=1, kv_cache_tokens=512, batch_tokens=32)
    assert greedy(engine, CODE, 2)
    run_sync(engine.close())
    with pytest.raises(EngineError, match="closed"):
        greedy(engine, CODE, 2)
