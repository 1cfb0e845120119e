"""Records turned into token sequences with their loss masks, or into a reason for leaving them out.

Inputs: `InstructionSample`s and `SecurityPair`s (from `safecoder.data`), a tokenizer and
`ExampleSettings`. Outputs: `StandardExample` (the output's tokens are trained) and
`PairExample` (a secure and a vulnerable `TokenSequence`, the changed tokens marked), or
a `Dropped` naming why a record cannot train.

Each prompt is joined with its program and tokenized once, so no second
beginning-of-sequence token lands between them (the paper's code tokenized them apart);
a token belongs to the program when its characters end after the prompt's. A standard
sample ends with the end-of-sequence token. For a pair the two programs' ids are diffed
(`safecoder.trainer.masks`) and, as in the paper's code, each side is by default cut
after its last changed token (so it has no end-of-sequence token: nothing after the
change carries loss). Rules, each counted by the caller:
- a pair whose programs tokenize the same (`no_change`) or share no token
  (`no_unchanged_token`) is dropped;
- a side without a changed token (a fix that only adds code has none on its vulnerable
  side) is left out, its pair kept;
- a sequence over `max_length` tokens is dropped (`overlong`, the paper's rule) or, with
  the `truncate` policy, cut to `max_length` (dropped only when no trained token is left).

Not here: reading files, the split, oversampling, batching.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from safecoder.data import InstructionSample, SecurityPair
from safecoder.errors import SafeCoderError
from safecoder.prompts import format_prompt
from safecoder.trainer.masks import change_masks
from safecoder.trainer.safecoder_config import SafeCoderConfig, option, settings_from

OverlongPolicy = Literal["drop", "truncate"]
DropReason = Literal["no_instruction", "no_change", "no_unchanged_token", "overlong"]


class TokenizerNotSupportedError(SafeCoderError):
    """A tokenizer that cannot say which characters each token covers."""


@dataclass(frozen=True)
class TokenSequence:
    """One training sequence: prompt and response ids, and which tokens the losses use."""

    input_ids: tuple[int, ...]
    # Tokens a likelihood (or unlikelihood) is computed on: a standard sample's output, a
    # program's changed tokens (or its whole program without masks).
    targets: tuple[bool, ...]
    # Program tokens outside the change: where the KL term of the SVEN-adapted and the
    # preference objectives keeps the model close to the original.
    unchanged: tuple[bool, ...]

    def __post_init__(self) -> None:
        if not len(self.input_ids) == len(self.targets) == len(self.unchanged):
            raise ValueError("input_ids, targets and unchanged must have one entry per token")

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def target_count(self) -> int:
        return sum(self.targets)

    @property
    def changed_fraction(self) -> float:
        program = self.target_count + sum(self.unchanged)
        return self.target_count / program if program else 0.0


@dataclass(frozen=True)
class StandardExample:
    sequence: TokenSequence
    sample_id: str


@dataclass(frozen=True)
class PairExample:
    """A security pair's two sides; a side without a changed token is None."""

    secure: TokenSequence | None
    vulnerable: TokenSequence | None
    cwe: str
    language: str
    pair_id: str
    # (side, reason) for each side left out: ("vulnerable", "no_change"), ("secure", "overlong").
    omitted: tuple[tuple[str, str], ...] = ()

    @property
    def class_key(self) -> tuple[str, str]:
        return (self.cwe, self.language)


@dataclass(frozen=True)
class Dropped:
    reason: DropReason
    record_id: str


@dataclass(frozen=True)
class ExampleSettings:
    """The tokenization options of `SafeCoderConfig` (defaults and help text there)."""

    prompt_style: Literal["instruction", "chat"] = option("prompt_style")
    max_length: int = option("max_length")
    overlong_policy: OverlongPolicy = option("overlong_policy")
    masks: bool = option("masks")
    diff_autojunk: bool = option("diff_autojunk")
    mask_gap_fill: bool = option("mask_gap_fill")
    cut_after_last_change: bool = option("cut_after_last_change")

    @classmethod
    def from_config(cls, config: SafeCoderConfig) -> ExampleSettings:
        return settings_from(cls, config)


class ExampleBuilder:
    """Tokenizes records the same way for every stage of one run."""

    def __init__(self, tokenizer, settings: ExampleSettings):
        if not getattr(tokenizer, "is_fast", False):
            raise TokenizerNotSupportedError(
                "the trainer needs a fast (Rust) tokenizer, which reports character offsets; "
                "convert the model's tokenizer with `AutoTokenizer.from_pretrained(..., use_fast=True)`"
            )
        if tokenizer.eos_token_id is None:
            raise TokenizerNotSupportedError("the model's tokenizer defines no end-of-sequence token")
        self.tokenizer = tokenizer
        self.settings = settings

    def standard(self, sample: InstructionSample) -> StandardExample | Dropped:
        prompt = self._prompt(sample.instruction, sample.input)
        ids, in_response = self._tokenize(prompt, sample.output)
        ids.append(self.tokenizer.eos_token_id)
        in_response.append(True)
        sequence = self._fit(TokenSequence(tuple(ids), tuple(in_response), (False,) * len(ids)))
        if sequence is None:
            return Dropped("overlong", sample.id)
        return StandardExample(sequence, sample.id)

    def pair(self, pair: SecurityPair) -> PairExample | Dropped:
        if not pair.has_instruction:
            return Dropped("no_instruction", pair.id)
        prompt = self._prompt(pair.instruction, "")
        secure_ids, secure_response = self._tokenize(prompt, pair.secure_code)
        vulnerable_ids, vulnerable_response = self._tokenize(prompt, pair.vulnerable_code)
        secure_start = secure_response.index(True)
        vulnerable_start = vulnerable_response.index(True)
        masks = change_masks(
            vulnerable_ids[vulnerable_start:], secure_ids[secure_start:],
            autojunk=self.settings.diff_autojunk, fill_single_gaps=self.settings.mask_gap_fill,
        )
        if not masks.has_change:
            return Dropped("no_change", pair.id)
        if not masks.has_unchanged:
            return Dropped("no_unchanged_token", pair.id)
        sides, omitted = [], []
        for name, ids, start, changed in (("secure", secure_ids, secure_start, masks.secure),
                                          ("vulnerable", vulnerable_ids, vulnerable_start, masks.vulnerable)):
            side = self._side(ids, start, changed)
            if side is None:
                omitted.append((name, "no_change"))
            else:
                side = self._fit(side)
                if side is None:
                    omitted.append((name, "overlong"))
            sides.append(side)
        secure, vulnerable = sides
        if secure is None and vulnerable is None:
            # At least one side had a change (has_change), so the length rule removed it.
            return Dropped("overlong", pair.id)
        return PairExample(secure, vulnerable, pair.cwe, pair.language, pair.id, tuple(omitted))

    def _side(self, ids: list[int], start: int, changed: tuple[bool, ...]) -> TokenSequence | None:
        prompt_mask = (False,) * start
        if not self.settings.masks:
            program = (True,) * (len(ids) - start) + (True,)
            return TokenSequence((*ids, self.tokenizer.eos_token_id), prompt_mask + program,
                                 (False,) * (len(ids) + 1))
        if not any(changed):
            return None
        if self.settings.cut_after_last_change:
            last = max(index for index, flag in enumerate(changed) if flag)
            changed = changed[:last + 1]
            program_ids = tuple(ids[start:start + last + 1])
        else:
            changed = (*changed, False)
            program_ids = (*ids[start:], self.tokenizer.eos_token_id)
        unchanged = tuple(not flag for flag in changed)
        return TokenSequence(tuple(ids[:start]) + program_ids, prompt_mask + changed, prompt_mask + unchanged)

    def _fit(self, sequence: TokenSequence) -> TokenSequence | None:
        limit = self.settings.max_length
        if len(sequence) <= limit:
            return sequence
        if self.settings.overlong_policy == "drop":
            return None
        cut = TokenSequence(sequence.input_ids[:limit], sequence.targets[:limit], sequence.unchanged[:limit])
        # A target at position 0 has no context to be predicted from.
        return cut if any(cut.targets[1:]) else None

    def _prompt(self, instruction: str, input_text: str) -> str:
        return format_prompt(self.settings.prompt_style, instruction, input_text, tokenizer=self.tokenizer)

    def _tokenize(self, prompt: str, response: str) -> tuple[list[int], list[bool]]:
        """Ids of prompt + response tokenized together, and which tokens belong to the response."""
        text = prompt + response
        bos = self.tokenizer.bos_token
        # A chat template may already begin with the BOS token; adding another would double it.
        add_special = not (bos and text.startswith(bos))
        encoded = self.tokenizer(text, add_special_tokens=add_special, return_offsets_mapping=True)
        boundary = len(prompt)
        in_response = [end > boundary for _, end in encoded["offset_mapping"]]
        if not any(in_response):
            raise ValueError("the response is empty after tokenization")
        return list(encoded["input_ids"]), in_response
