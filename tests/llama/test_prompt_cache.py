"""The llama.cpp engine's prompt cache (`safecoder.engines.llama_batching`), on the real
embedded GGUF (SmolLM2-135M-Instruct, Q4_1).

Every test compares the cached engine's answers with those of the same engine with the
cache off (`prompt_cache_min_tokens=0`), greedy or with the same seeds: reused cells
that held the wrong tokens, positions or sequence would change the text. The hits are
read from the engine's counters, never from timings.

Where both engines start clean, the answers must be equal. Where the cached engine holds
other sequences' cells, the new sequence's cells lie elsewhere in the KV cache and
llama.cpp sums attention in another order: log-probabilities then move by up to ~0.1
(measured; the same happens without a cache when another request is in flight, see
docs/cpu-engine.md), and a greedy answer may take the other branch of a near-tie. There
the comparison is token by token: equal tokens with close log-probabilities, and at the
first difference, a token the uncached engine also ranked within `TOLERANCE` of its best.
Cells of another file leaking in would move log-probabilities far more.
"""

from __future__ import annotations

import pytest

from safecoder.engines import GenerationRequest, SamplingParams, create_engine
from safecoder.engines.base import run_sync

pytestmark = pytest.mark.slow


TOLERANCE = 0.3


def python_file(name: str, functions: int) -> str:
    """A Python module of small functions, different for each `name`."""
    return "".join(f"def {name}_{i}(values, limit={i}):\n    total = 0\n    for value in values:\n"
                   f"        if value > limit:\n            total += value * {len(name)}\n    return total\n\n"
                   for i in range(functions))


def engine_pair(model, **options):
    cached = create_engine("llama", model, **options)
    uncached = create_engine("llama", model, prompt_cache_min_tokens=0, **options)
    return cached, uncached


@pytest.fixture
def engines(embedded_model):
    pair = engine_pair(embedded_model, parallel_sequences=4, kv_cache_tokens=4096)
    yield pair
    for engine in pair:
        run_sync(engine.close())


def complete(engine, prompt: str, tokens: int = 16, **sampling) -> list[str]:
    request = GenerationRequest(prompt, SamplingParams(max_new_tokens=tokens, **sampling))
    return engine.generate_batch([request])[0].texts


def delta(before: dict, after: dict, key: str) -> int:
    return after[key] - before[key]


def greedy_scored(engine, prompt: str, tokens: int = 8):
    request = GenerationRequest(prompt, SamplingParams(max_new_tokens=tokens, top_logprobs=3))
    return engine.generate_batch([request])[0].completions[0]


def assert_equal_up_to_rounding(cached, uncached, what: object, sampled: bool = False) -> None:
    """Greedy: see the module docstring. Sampled: the same up to the first difference
    (a seeded draw near a boundary of the distribution may go either way there)."""
    for position, (a, b) in enumerate(zip(cached.tokens, uncached.tokens, strict=False)):
        if a.token == b.token:
            assert abs(a.logprob - b.logprob) < TOLERANCE, (what, position, a, b)
            continue
        if sampled:
            assert position >= 2, (what, "the candidates differ from their first tokens on", a, b)
            return
        alternatives = dict(b.top)
        assert a.token in alternatives and alternatives[a.token] > b.logprob - TOLERANCE, (what, position, a, b)
        return
    assert cached.text == uncached.text, what


def test_second_keystroke_decodes_only_the_new_tokens_and_answers_the_same(engines):
    cached, uncached = engines
    prefix = python_file("keystroke", 30) + "def main("
    prompt_tokens = cached.count_tokens(prefix + "a")
    assert prompt_tokens > 1000

    first = greedy_scored(cached, prefix, 16)
    before = cached.stats()
    second = greedy_scored(cached, prefix + "a", 16)
    after = cached.stats()

    assert delta(before, after, "prompt_cache_hits") == 1
    assert delta(before, after, "prompt_tokens_reused") >= 1000
    decoded = delta(before, after, "prompt_tokens_decoded")
    assert 1 <= decoded <= 8, f"the second keystroke decoded {decoded} of {prompt_tokens} prompt tokens"
    assert_equal_up_to_rounding(first, greedy_scored(uncached, prefix, 16), "first keystroke")
    assert_equal_up_to_rounding(second, greedy_scored(uncached, prefix + "a", 16), "second keystroke")
    assert uncached.stats()["prompt_tokens_reused"] == 0


def test_an_accepted_completion_reuses_the_prompt_and_decodes_the_completion(engines):
    # The next prompt is the previous prompt plus its completion. Only the prompt's cells
    # are kept (one-token decode steps round differently from prompt chunks), so the
    # completion's tokens are decoded again.
    cached, uncached = engines
    prompt = python_file("accept", 4) + "def accept_total(values):\n"
    completion = complete(cached, prompt, tokens=12, ignore_eos=True)[0]
    before = cached.stats()
    follow_up = prompt + completion + "\n"
    answer = greedy_scored(cached, follow_up, 12)
    after = cached.stats()
    assert delta(before, after, "prompt_cache_hits") == 1
    reused = delta(before, after, "prompt_tokens_reused")
    assert cached.count_tokens(prompt) - 2 <= reused <= cached.count_tokens(prompt)
    assert delta(before, after, "prompt_tokens_decoded") == cached.count_tokens(follow_up) - reused
    assert_equal_up_to_rounding(answer, greedy_scored(uncached, follow_up, 12), "follow-up")


def test_sampled_candidates_start_from_reused_cells_like_from_decoded_ones(engines):
    # n > 1: the first candidate takes the kept sequence over and its siblings copy its
    # cells. At a low temperature every candidate follows the greedy path for a while;
    # along it, each candidate's raw log-probabilities (computed on its own sequence's
    # cells from the second token on) must be the uncached engine's.
    cached, uncached = engines
    prompt = python_file("candidates", 6) + "def candidates_sum(values):\n"
    complete(cached, prompt + "    # the sum\n")
    before = cached.stats()
    sampling = SamplingParams(n=3, temperature=0.05, max_new_tokens=16, top_logprobs=3)
    candidates = cached.generate_batch([GenerationRequest(prompt, sampling)])[0].completions
    assert delta(before, cached.stats(), "prompt_cache_hits") == 1
    reference = greedy_scored(uncached, prompt, 16)
    for index, candidate in enumerate(candidates):
        assert_equal_up_to_rounding(candidate, reference, f"candidate {index}", sampled=True)


def test_a_seeded_request_starts_from_an_empty_cache_and_reproduces(engines):
    cached, uncached = engines
    prompt = python_file("seeded", 6) + "def seeded_sum(values):\n"
    sampling = SamplingParams(n=3, temperature=0.9, seed=5, max_new_tokens=12)
    first = cached.generate_batch([GenerationRequest(prompt, sampling)])[0].texts
    before = cached.stats()
    again = cached.generate_batch([GenerationRequest(prompt, sampling)])[0].texts
    assert delta(before, cached.stats(), "prompt_cache_hits") == 0
    assert delta(before, cached.stats(), "prompt_cache_evictions") == 3  # one kept per candidate
    assert first == again == uncached.generate_batch([GenerationRequest(prompt, sampling)])[0].texts
    assert complete(cached, prompt, tokens=4)  # without a seed, its kept prompt is reused
    assert cached.stats()["prompt_cache_hits"] == before["prompt_cache_hits"] + 1


def test_interleaved_files_never_see_each_others_cells(embedded_model):
    # Two sequence slots, two files typed in turn, and a third file now and then: kept
    # sequences are taken over, evicted and reused; each answer must be the uncached one.
    cached, uncached = engine_pair(embedded_model, parallel_sequences=2, kv_cache_tokens=2048, batch_tokens=64)
    try:
        files = {name: python_file(name, 3) for name in ("alpha", "beta", "gamma")}
        typed = ["def ", "def f", "def fo", "def foo", "def foo("]
        order = [(name, k) for k in range(len(typed)) for name in ("alpha", "beta")]
        order[4:4] = [("gamma", 0)]
        order[9:9] = [("gamma", 1)]
        for name, k in order:
            prompt = files[name] + typed[k]
            assert_equal_up_to_rounding(greedy_scored(cached, prompt), greedy_scored(uncached, prompt),
                                        (name, typed[k]))
        stats = cached.stats()
        # Least recently used first: each "gamma" evicts one file, and that file's next
        # keystroke evicts the other, so only alpha/beta 1 and 3 hit.
        assert stats["prompt_cache_hits"] == 4
        assert stats["prompt_cache_evictions"] == 6
        assert stats["prompt_cache_sequences"] <= 2
    finally:
        run_sync(cached.close())
        run_sync(uncached.close())


def test_a_request_that_needs_the_cells_evicts_the_kept_sequences(embedded_model):
    cached, uncached = engine_pair(embedded_model, parallel_sequences=4, kv_cache_tokens=1024, batch_tokens=128)
    try:
        for name in ("one", "two", "three"):
            complete(cached, python_file(name, 3), tokens=4)
        assert cached.stats()["prompt_cache_sequences"] == 3
        # Its prompt and 500 new tokens do not fit beside three kept sequences.
        big = python_file("big", 6)
        assert cached.count_tokens(big) + 500 + 3 * cached.count_tokens(python_file("one", 3)) > 1024
        request = GenerationRequest(big, SamplingParams(max_new_tokens=500, stop=("\n\n",), top_logprobs=3))
        assert_equal_up_to_rounding(cached.generate_batch([request])[0].completions[0],
                                    uncached.generate_batch([request])[0].completions[0], "big")
        assert cached.stats()["prompt_cache_evictions"] >= 1
    finally:
        run_sync(cached.close())
        run_sync(uncached.close())


def test_a_cancelled_request_keeps_nothing(engines):
    cached, _ = engines

    async def leave_early() -> None:
        request = GenerationRequest(python_file("cancel", 2), SamplingParams(max_new_tokens=64, ignore_eos=True))
        async for _ in cached.stream(request):
            break

    run_sync(leave_early())
    before = cached.stats()
    # The worker drops the cancelled request before it admits this one, and kept nothing of it.
    assert complete(cached, python_file("cancel", 2), tokens=4)
    assert delta(before, cached.stats(), "prompt_cache_hits") == 0


def test_the_server_exports_the_prompt_cache_counters():
    from llama_testing import LlamaServer

    server = LlamaServer(gate="off", engine_option=["kv_cache_tokens=2048", "parallel_sequences=4"]).start()
    try:
        client = server.client()
        prefix = python_file("served", 8) + "def served_total(values):\n"
        for typed in ("", "    "):
            client.completions.create(model="default", prompt=prefix + typed, max_tokens=4, temperature=0)
        stats = server.engine.stats()
        assert stats["prompt_cache_hits"] == 1
        assert server.metric("safecoder_engine_prompt_cache_hits_total") == 1
        assert server.metric('safecoder_engine_prompt_tokens_total{source="reused"}') == stats["prompt_tokens_reused"]
        assert stats["prompt_tokens_reused"] >= server.engine.count_tokens(prefix) - 2
        assert server.metric('safecoder_engine_prompt_tokens_total{source="decoded"}') == stats["prompt_tokens_decoded"]
        assert server.metric("safecoder_engine_prompt_cache_sequences") == 1
    finally:
        server.stop()
