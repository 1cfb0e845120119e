"""Token masks and training sequences on known pairs, with the embedded model's real tokenizer."""

import pytest

from safecoder.data import InstructionSample, SecurityPair
from safecoder.trainer.examples import (
    Dropped,
    ExampleBuilder,
    ExampleSettings,
    PairExample,
    StandardExample,
)
from safecoder.trainer.masks import change_masks

RSA = '''from cryptography.hazmat.primitives.asymmetric import rsa


def generate_private_key():
    """Generate an RSA private key for signing."""
    return rsa.generate_private_key(public_exponent=65537, key_size={bits})
'''


def rsa_pair(bits_vulnerable=1024, bits_secure=2048, instruction="Generate a private RSA key."):
    return SecurityPair(instruction=instruction, secure_code=RSA.format(bits=bits_secure),
                        vulnerable_code=RSA.format(bits=bits_vulnerable), cwe="CWE-326", language="python")


def marked_positions(sequence):
    return [index for index, flag in enumerate(sequence.targets) if flag]


@pytest.mark.parametrize("cut", [True, False])
def test_the_rsa_pair_marks_only_the_key_size(tokenizer, cut):
    """The paper's example: secure and vulnerable differ in the key size only."""
    builder = ExampleBuilder(tokenizer, ExampleSettings(cut_after_last_change=cut))
    example = builder.pair(rsa_pair())
    assert isinstance(example, PairExample)
    for sequence, number in ((example.secure, "2048"), (example.vulnerable, "1024")):
        marked = marked_positions(sequence)
        assert marked, "each side has changed tokens"
        ids = list(sequence.input_ids)
        # The key size's tokens are those right after `key_size=`.
        start = next(i for i in range(len(ids)) if tokenizer.decode(ids[:i]).endswith("key_size="))
        key_size = [i for i in range(start, len(ids)) if number.startswith(tokenizer.decode(ids[start:i + 1]))]
        assert set(marked) <= set(key_size), tokenizer.decode([ids[i] for i in marked])
        assert all(tokenizer.decode([ids[i]]).isdigit() for i in marked)
        if cut:
            assert len(ids) == marked[-1] + 1, "the sequence ends after its last changed token"
        else:
            assert ids[-1] == tokenizer.eos_token_id and not sequence.targets[-1]
    # Everything else of the program is unchanged, i.e. available to the KL terms.
    assert sum(example.secure.unchanged) > 20


def test_the_sequence_is_the_joined_prompt_and_program_tokenized_once(tokenizer):
    builder = ExampleBuilder(tokenizer, ExampleSettings())
    sample = InstructionSample(instruction="Reverse a string in Python.", output="def rev(s):\n    return s[::-1]")
    example = builder.standard(sample)
    assert isinstance(example, StandardExample)
    sequence = example.sequence
    prompt = builder._prompt(sample.instruction, sample.input)
    assert list(sequence.input_ids[:-1]) == tokenizer(prompt + sample.output)["input_ids"]
    assert sequence.input_ids[-1] == tokenizer.eos_token_id and sequence.targets[-1]
    first = sequence.targets.index(True)
    assert tokenizer.decode(sequence.input_ids[:first]) == prompt
    assert tokenizer.decode(sequence.input_ids[first:-1]) == sample.output
    assert all(sequence.targets[first:]) and not any(sequence.unchanged)


def test_the_chat_style_wraps_the_instruction_in_the_models_template(tokenizer):
    builder = ExampleBuilder(tokenizer, ExampleSettings(prompt_style="chat"))
    example = builder.pair(rsa_pair())
    text = tokenizer.decode(example.secure.input_ids)
    assert text.startswith("<|im_start|>system") and "<|im_start|>assistant\n" in text
    assert text.count("<|im_start|>") == 3, "no beginning-of-sequence token is added twice"


def test_the_exact_diff_marks_fewer_tokens_than_the_junk_heuristic():
    """Over 200 tokens, difflib's autojunk cannot match a run of frequent tokens (indentation,
    say) that no rare token anchors, so the run between two changes is marked too."""
    common = [7, 8, 9] * 90 + [100]
    vulnerable = [*common, 1, *[7, 8, 9] * 3, 2, 101, *[7, 8, 9] * 10]
    secure = [*common, 5, *[7, 8, 9] * 3, 6, 101, *[7, 8, 9] * 10]
    exact = change_masks(vulnerable, secure, autojunk=False, fill_single_gaps=False)
    junk = change_masks(vulnerable, secure, autojunk=True, fill_single_gaps=False)
    for masks in (exact.vulnerable, exact.secure):
        assert [i for i, flag in enumerate(masks) if flag] == [271, 281]
    for masks in (junk.vulnerable, junk.secure):
        assert [i for i, flag in enumerate(masks) if flag] == list(range(271, 282))


def test_single_unchanged_tokens_between_changes_are_filled_only_when_asked():
    vulnerable, secure = [1, 2, 3, 4, 5], [1, 9, 3, 8, 5]
    plain = change_masks(vulnerable, secure, fill_single_gaps=False)
    filled = change_masks(vulnerable, secure, fill_single_gaps=True)
    assert plain.secure == (False, True, False, True, False)
    assert filled.secure == (False, True, True, True, False)
    assert filled.vulnerable == (False, True, True, True, False)


def test_pairs_without_change_or_without_common_token_are_dropped(tokenizer):
    builder = ExampleBuilder(tokenizer, ExampleSettings())
    same = builder.pair(rsa_pair(2048, 2048))
    assert same == Dropped("no_change", rsa_pair(2048, 2048).id)
    disjoint = SecurityPair(instruction="x", secure_code="yes", vulnerable_code="no", cwe="CWE-079",
                            language="javascript")
    assert builder.pair(disjoint).reason == "no_unchanged_token"
    assert builder.pair(rsa_pair(instruction="")).reason == "no_instruction"


def test_a_fix_that_only_adds_code_keeps_its_secure_side(tokenizer):
    pair = SecurityPair(
        instruction="Read a file below a base folder.",
        vulnerable_code="def read(base, name):\n    return open(base + name).read()\n",
        secure_code="def read(base, name):\n    assert '..' not in name\n    return open(base + name).read()\n",
        cwe="CWE-022", language="python")
    example = ExampleBuilder(tokenizer, ExampleSettings()).pair(pair)
    assert example.vulnerable is None and example.secure is not None
    assert example.omitted == (("vulnerable", "no_change"),)
    marked = [example.secure.input_ids[i] for i in marked_positions(example.secure)]
    assert "assert '..' not in name" in tokenizer.decode(marked)


def test_overlong_sequences_are_dropped_or_truncated_as_configured(tokenizer):
    long_output = "x = 1\n" * 200
    sample = InstructionSample(instruction="Write many assignments.", output=long_output)
    dropped = ExampleBuilder(tokenizer, ExampleSettings(max_length=64)).standard(sample)
    assert dropped == Dropped("overlong", sample.id)
    truncated = ExampleBuilder(tokenizer, ExampleSettings(max_length=64, overlong_policy="truncate")).standard(sample)
    assert len(truncated.sequence) == 64 and truncated.sequence.target_count > 0


def test_without_masks_whole_programs_are_trained(tokenizer):
    example = ExampleBuilder(tokenizer, ExampleSettings(masks=False)).pair(rsa_pair())
    for sequence in (example.secure, example.vulnerable):
        first = sequence.targets.index(True)
        assert all(sequence.targets[first:]) and sequence.input_ids[-1] == tokenizer.eos_token_id
        assert tokenizer.decode(sequence.input_ids[first:-1]).startswith("from cryptography")
