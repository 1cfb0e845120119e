"""Request validation, API key files, rate buckets and configuration: no model, no server."""

import pytest
from pydantic import ValidationError

from safecoder.config import ConfigError
from safecoder.server.access import KeyFileError, KeyRing, TokenBucket, fingerprint
from safecoder.server.api_errors import APIError, from_validation_errors, to_api_error
from safecoder.server.config import ServerConfig, is_loopback
from safecoder.server.protocol import ChatCompletionRequest, CompletionRequest, Limits

LIMITS = Limits(max_tokens=256, max_n=4)


def test_completion_request_converts_to_sampling_params():
    request = CompletionRequest(model="default", prompt=["def f():"], max_tokens=20, temperature=0.2,
                                top_p=0.9, n=3, stop="\n", seed=7)
    sampling = request.to_sampling_params(LIMITS, room=1000).params
    assert (sampling.n, sampling.temperature, sampling.top_p, sampling.max_new_tokens) == (3, 0.2, 0.9, 20)
    assert sampling.stop == ("\n",) and sampling.seed == 7
    assert request.prompt_text == "def f():"
    # OpenAI's defaults: 16 tokens, temperature 1.
    defaults = CompletionRequest(model="m", prompt="x").to_sampling_params(LIMITS, room=1000).params
    assert (defaults.max_new_tokens, defaults.temperature, defaults.n) == (16, 1.0, 1)


def test_peer_extensions_convert_and_unknown_fields_are_collected_not_refused():
    request = CompletionRequest(model="m", prompt="x", stop=[f"<s{i}>" for i in range(16)], top_k=40, min_p=0.05,
                                repetition_penalty=1.1, presence_penalty=0.5, frequency_penalty=-0.5,
                                logit_bias={"42": -100}, ignore_eos=True, seed=-5, logprobs=3,
                                cache_prompt=True, samplers=["top_k"])
    sampling = request.to_sampling_params(LIMITS, room=1000).params
    assert len(sampling.stop) == 16 and sampling.top_k == 40 and sampling.min_p == 0.05
    assert (sampling.repetition_penalty, sampling.presence_penalty, sampling.frequency_penalty) == (1.1, 0.5, -0.5)
    assert sampling.logit_bias == ((42, -100.0),) and sampling.ignore_eos and sampling.top_logprobs == 3
    assert sampling.seed == -5 % 2**63, "signed seeds (Tabby's i64) fold into the engines' range"
    assert request.ignored_fields == ["cache_prompt", "samplers"]
    # A top_k of -1 (vLLM's "off") is off here too.
    assert CompletionRequest(model="m", prompt="x", top_k=-1).to_sampling_params(LIMITS, room=10).params.top_k == 0


@pytest.mark.parametrize("fields, named", [
    ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
    ({"response_format": {"type": "json_object"}}, "response_format"),
    ({"temperature": 3.5}, "temperature"),
    ({"top_p": 0}, "top_p"),
    ({"n": 0}, "n"),
    ({"stop": [f"s{i}" for i in range(65)]}, "stop"),
    ({"presence_penalty": 2.5}, "presence_penalty"),
    ({"logit_bias": {"token": 1}}, "logit_bias"),
    ({"prompt": ["a", "b"]}, "one prompt"),
    ({"safecoder": {"gate": "strict"}}, "gate"),
    ({"safecoder": {"language": "cobol"}}, "cobol"),
    ({"logprobs": 21}, "logprobs"),
])
def test_bad_completion_fields_are_rejected_with_their_name(fields, named):
    with pytest.raises(ValidationError) as caught:
        CompletionRequest(**{"model": "m", "prompt": "x", **fields})
    error = from_validation_errors(caught.value.errors())
    assert error.status == 400
    assert named in error.message


def test_max_tokens_is_clamped_to_the_limit_and_the_context_and_n_is_enforced():
    clamped = CompletionRequest(model="m", prompt="x", max_tokens=1000).to_sampling_params(LIMITS, room=5000)
    assert clamped.params.max_new_tokens == 256 and clamped.clamped == "max_tokens=1000->256"
    near_the_end = CompletionRequest(model="m", prompt="x", max_tokens=100).to_sampling_params(LIMITS, room=40)
    assert near_the_end.params.max_new_tokens == 40 and near_the_end.clamped == "max_tokens=100->40"
    assert CompletionRequest(model="m", prompt="x", max_tokens=10).to_sampling_params(LIMITS, room=40).clamped is None
    with pytest.raises(APIError) as caught:
        CompletionRequest(model="m", prompt="x", n=5).to_sampling_params(LIMITS, room=40)
    assert caught.value.param == "n"


def test_chat_request_messages_and_token_fields():
    request = ChatCompletionRequest(model="m", messages=[
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]},
    ], max_completion_tokens=30)
    assert request.template_messages() == [{"role": "system", "content": "Be brief."},
                                           {"role": "user", "content": "Hi there"}]
    assert request.to_sampling_params(LIMITS, room=100).params.max_new_tokens == 30
    # Without a limit, chat answers may use the room left in the context, capped by the server.
    unlimited = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "x"}])
    assert unlimited.to_sampling_params(LIMITS, room=10_000).params.max_new_tokens == 256
    assert unlimited.to_sampling_params(LIMITS, room=100).params.max_new_tokens == 100
    assert unlimited.to_sampling_params(LIMITS, room=100).clamped is None
    with pytest.raises(ValidationError):
        ChatCompletionRequest(model="m", messages=[{"role": "tool", "content": "x"}])
    with pytest.raises(ValidationError):
        ChatCompletionRequest(model="m", messages=[])


def test_engine_errors_map_to_400_and_the_unexpected_to_500():
    from safecoder.engines.base import PromptTooLongError

    too_long = to_api_error(PromptTooLongError(9000, 16, 8192))
    assert too_long.status == 400 and too_long.code == "context_length_exceeded"
    crash = to_api_error(RuntimeError("secret internals"))
    assert crash.status == 500 and "secret internals" not in crash.message


def test_key_file_with_names_and_rates(tmp_path):
    key_file = tmp_path / "keys.txt"
    key_file.write_text("# team keys\nsk-alpha-123456 name=alpha\n\nsk-beta-1234567 rpm=2  # tight\n")
    ring = KeyRing.load(key_file, default_rate_per_minute=100, environ={"SAFECODER_API_KEYS": "sk-env-key-99, "})
    assert len(ring) == 3 and ring.enabled
    alpha = ring.authenticate("Bearer sk-alpha-123456")
    assert alpha.name == "alpha"
    beta = ring.authenticate("bearer sk-beta-1234567")
    assert beta.name == fingerprint("sk-beta-1234567") and "sk-beta" not in beta.name
    assert "sk-beta" not in repr(beta)
    assert ring.authenticate("Bearer sk-env-key-99").name.startswith("key-")
    for header in (None, "Bearer", "Basic sk-alpha-123456", "Bearer sk-wrong"):
        with pytest.raises(APIError) as caught:
            ring.authenticate(header)
        assert caught.value.status == 401
    ring.charge(beta)
    ring.charge(beta)
    with pytest.raises(APIError) as caught:
        ring.charge(beta)
    assert caught.value.status == 429 and int(caught.value.headers["Retry-After"]) >= 1
    ring.charge(alpha)  # another key has its own bucket


def test_bad_key_files_name_the_line_without_the_key(tmp_path):
    key_file = tmp_path / "keys.txt"
    key_file.write_text("sk-good-key-1\nsk-secret-value color=red\n")
    with pytest.raises(KeyFileError) as caught:
        KeyRing.load(key_file, 10, environ={})
    assert ":2:" in str(caught.value) and "sk-secret-value" not in str(caught.value)
    key_file.write_text("# nothing\n")
    with pytest.raises(KeyFileError, match="holds no key"):
        KeyRing.load(key_file, 10, environ={})
    with pytest.raises(KeyFileError, match="cannot read"):
        KeyRing.load(tmp_path / "missing.txt", 10, environ={})
    assert not KeyRing.load(None, 10, environ={}).enabled


def test_token_bucket_refills_over_time(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("safecoder.server.access.time.monotonic", lambda: clock[0])
    bucket = TokenBucket(60)
    assert all(bucket.take() == 0 for _ in range(60))
    assert bucket.take() == pytest.approx(1.0)
    clock[0] += 2.0
    assert bucket.take() == 0 and bucket.take() == 0 and bucket.take() > 0


def test_server_config_validates_and_parses_engine_options():
    config = ServerConfig(engine_option=["kv_cache_gib=2", "dtype=bfloat16", "enforce-eager=true"])
    assert config.engine_options() == {"kv_cache_gib": 2, "dtype": "bfloat16", "enforce_eager": True}
    assert config.on_loopback and is_loopback("::1") and not is_loopback("0.0.0.0")
    for bad in ({"port": 70000}, {"gate_candidates": 0}, {"engine_option": ["novalue"]},
                {"max_queue": -1}, {"gate_temperature": 0}, {"gate_min_kept": 1.5}, {"gate_min_kept": -0.1}):
        with pytest.raises(ConfigError):
            ServerConfig(**bad)
