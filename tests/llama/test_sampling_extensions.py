"""The sampling extensions and per-token log-probabilities, in the llama.cpp and transformers engines.

Both engines run the embedded model for real (the llama.cpp engine on its shipped GGUF,
the transformers engine on the converted weights); each extension is checked by an
effect it must have, and the two engines must agree where the model and the rule are
the same (greedy text, token log-probabilities up to quantisation).
"""

from __future__ import annotations

import pytest

from safecoder.engines import GenerationRequest, SamplingParams

pytestmark = pytest.mark.slow

PROMPT = "def add(a, b):\n    return"


@pytest.fixture(scope="module", params=["llama", "transformers"])
def engine(request):
    return request.getfixturevalue("llama_engine" if request.param == "llama" else "transformers_engine")


def one(engine, prompt: str = PROMPT, **sampling):
    return engine.generate_batch([GenerationRequest(prompt, SamplingParams(**sampling))])[0].completions[0]


def token_id(engine, text: str) -> int:
    if engine.kind == "llama":
        return engine.tokenize(text)[-1]
    return engine.tokenizer(text, add_special_tokens=False)["input_ids"][-1]


def test_top_logprobs_match_the_summed_logprob_and_greedy_picks_the_likeliest(engine):
    answer = one(engine, max_new_tokens=8, logprobs=True, top_logprobs=3)
    assert "".join(t.token for t in answer.tokens) == answer.text
    assert sum(t.logprob for t in answer.tokens) == pytest.approx(answer.logprob, abs=1e-3)
    for token in answer.tokens:
        assert len(token.top) == 3 and token.top[0][1] >= token.top[1][1] >= token.top[2][1]
        assert token.logprob == pytest.approx(token.top[0][1], abs=1e-4), "greedy samples the likeliest token"


def test_top_k_one_is_greedy_and_logit_bias_forces_a_token(engine):
    greedy = one(engine, max_new_tokens=8).text
    assert one(engine, max_new_tokens=8, temperature=1.0, top_k=1, seed=5).text == greedy
    x = token_id(engine, " x")
    assert one(engine, max_new_tokens=3, logit_bias=((x, 100.0),)).text == " x x x"


def test_ignore_eos_runs_to_max_new_tokens(engine):
    prompt = engine.apply_chat_template([{"role": "user", "content": "Say hello."}])
    stops_early = one(engine, prompt, max_new_tokens=60)
    assert stops_early.finish_reason == "stop", "precondition: the model ends this text by itself"
    forced = one(engine, prompt, max_new_tokens=60, ignore_eos=True)
    assert forced.finish_reason == "length" and forced.token_count == 60


def test_penalties_change_a_repetitive_greedy_answer(engine):
    prompt = "1, 1, 1, 1, 1, 1, 1,"
    plain = one(engine, prompt, max_new_tokens=8).text
    assert one(engine, prompt, max_new_tokens=8, repetition_penalty=1.5).text != plain
    assert one(engine, prompt, max_new_tokens=8, frequency_penalty=2.0, presence_penalty=2.0).text != plain
    # min_p keeps the likeliest token at least: a high cut is nearly greedy.
    assert one(engine, PROMPT, max_new_tokens=8, temperature=0.7, min_p=0.9, seed=1).text == \
        one(engine, PROMPT, max_new_tokens=8).text
