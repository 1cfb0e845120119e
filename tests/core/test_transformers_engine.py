"""The transformers engine on the real embedded model."""

import asyncio
import time

import pytest

from safecoder.engines import EngineError, GenerationRequest, SamplingParams
from safecoder.engines.base import PromptTooLongError
from safecoder.prompts import format_instruction

pytestmark = pytest.mark.slow

PROMPT = format_instruction("Write a Python function that returns the largest element of a list.")


def test_greedy_generation_is_deterministic_and_n_copies_agree(transformers_engine):
    request = GenerationRequest(PROMPT, SamplingParams(n=2, max_new_tokens=24))
    first, second = transformers_engine.generate_batch([request, request])
    assert first.texts == second.texts
    assert first.texts[0] == first.texts[1] and first.texts[0].strip()
    assert first.prompt_tokens == transformers_engine.count_tokens(PROMPT)
    assert all(c.finish_reason in ("stop", "length") for c in first.completions)


def test_seeded_sampling_reproduces_and_different_seeds_differ(transformers_engine):
    def sample(seed):
        sampling = SamplingParams(n=4, temperature=1.0, top_p=0.95, max_new_tokens=20, seed=seed)
        return transformers_engine.generate_batch([GenerationRequest(PROMPT, sampling)])[0].texts

    a, b, c = sample(7), sample(7), sample(8)
    assert a == b
    assert a != c
    assert len(set(a)) > 1, "four samples at temperature 1 should not all be equal"


def test_stop_strings_end_samples_and_are_not_returned(transformers_engine):
    sampling = SamplingParams(n=3, temperature=0.8, max_new_tokens=64, stop=("\n",), seed=1)
    result = transformers_engine.generate_batch([GenerationRequest("def add(a, b):\n    return", sampling)])[0]
    for completion in result.completions:
        assert "\n" not in completion.text
        assert completion.finish_reason in ("stop", "length")
    assert any(c.finish_reason == "stop" and c.token_count < 64 for c in result.completions)


def test_many_prompts_batch_and_keep_their_order(transformers_engine):
    prompts = [format_instruction(f"Write a Python function named f{i} that returns {i}.") for i in range(5)]
    requests = [GenerationRequest(p, SamplingParams(max_new_tokens=16)) for p in prompts]
    results = transformers_engine.generate_batch(requests)
    assert [r.request_id for r in results] == [r.request_id for r in requests]
    single = transformers_engine.generate_batch([requests[3]])[0]
    assert results[3].prompt_tokens == single.prompt_tokens


def test_stream_concatenates_to_the_same_text_as_generate(transformers_engine):
    sampling = SamplingParams(max_new_tokens=40, stop=("\n\n",))
    request = GenerationRequest(PROMPT, sampling)

    async def collect():
        deltas = [d async for d in transformers_engine.stream(request)]
        return deltas, await transformers_engine.generate(request)

    deltas, result = asyncio.run(collect())
    assert "".join(d.text for d in deltas) == result.texts[0]
    assert len([d for d in deltas if d.text]) > 3, "text arrives in several pieces"
    assert deltas[-1].finish_reason is not None


def test_leaving_a_stream_cancels_its_generation(transformers_engine):
    long_request = GenerationRequest(PROMPT, SamplingParams(max_new_tokens=2000, temperature=0.9, seed=3))

    async def scenario():
        started = time.perf_counter()
        async for delta in transformers_engine.stream(long_request):
            if delta.token_count >= 5:
                break
        follow_up = await transformers_engine.generate(GenerationRequest(PROMPT, SamplingParams(max_new_tokens=4)))
        return time.perf_counter() - started, follow_up

    elapsed, follow_up = asyncio.run(scenario())
    assert follow_up.completions[0].token_count <= 4
    # 2,000 tokens take over a minute here; the follow-up ran right after the cancel.
    assert elapsed < 40


def test_logprobs_rank_samples_by_likelihood(transformers_engine):
    sampling = SamplingParams(n=3, temperature=1.0, max_new_tokens=12, seed=5, logprobs=True)
    result = transformers_engine.generate_batch([GenerationRequest(PROMPT, sampling)])[0]
    for completion in result.completions:
        assert completion.logprob is not None and completion.logprob < 0


def test_a_requests_seed_leaves_the_global_random_generator_alone(transformers_engine):
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    sampling = SamplingParams(n=2, temperature=1.0, max_new_tokens=6, seed=9)
    transformers_engine.generate_batch([GenerationRequest(PROMPT, sampling)])
    assert torch.equal(torch.rand(3), expected)


def test_logprobs_come_from_the_generations_own_logits(transformers_engine):
    """The summed log-probability equals a separate forward pass over prompt and sample."""
    import torch

    sampling = SamplingParams(n=2, temperature=0.9, max_new_tokens=10, seed=3, logprobs=True)
    result = transformers_engine.generate_batch([GenerationRequest("def add(a, b):\n", sampling)])[0]
    tokenizer, network = transformers_engine.tokenizer, transformers_engine._network
    prompt_ids = tokenizer("def add(a, b):\n", return_tensors="pt")["input_ids"][0]
    checked = 0
    for completion in result.completions:
        sample_ids = tokenizer(completion.text, add_special_tokens=False)["input_ids"]
        if tokenizer.decode(sample_ids) != completion.text or completion.finish_reason != "length":
            continue  # re-tokenizing the text must give back the sampled tokens for this check
        ids = torch.cat([prompt_ids, torch.tensor(sample_ids)]).unsqueeze(0)
        with torch.inference_mode():
            logprobs = torch.log_softmax(network(ids).logits[0, len(prompt_ids) - 1:-1].float(), dim=-1)
        recomputed = float(logprobs.gather(1, torch.tensor(sample_ids).unsqueeze(1)).sum())
        assert completion.logprob == pytest.approx(recomputed, abs=1e-2)
        checked += 1
    assert checked >= 1, "no sample re-tokenized to its own tokens; pick another seed"


def test_bad_parameters_and_long_prompts_are_rejected(transformers_engine):
    with pytest.raises(EngineError, match="top_p must be in"):
        SamplingParams(top_p=0.0)
    with pytest.raises(EngineError, match="n must be between"):
        SamplingParams(n=0)
    huge = "x " * (transformers_engine.max_context_tokens + 10)
    with pytest.raises(PromptTooLongError, match="exceeds the model's context"):
        transformers_engine.generate_batch([GenerationRequest(huge, SamplingParams(max_new_tokens=8))])
