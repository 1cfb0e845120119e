"""Settings of the classification benchmark (both versions of the shared security pairs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from safecoder.config import ConfigError


@dataclass
class ClassifyConfig:
    data: tuple[Path, ...] = field(default=(), metadata={
        "help": "security-pair files or folders (default: the shared data's security_pairs/safecoder/val)"})
    limit: int = field(default=0, metadata={"help": "a seeded sample of N pairs, 2N items (0: every pair)"})
    sample_seed: int = field(default=1, metadata={"help": "seed of the pair sample"})
    max_new_tokens: int = field(default=16, metadata={"help": "tokens per answer at most (an identifier is short)"})
    seed: int = field(default=1, metadata={"help": "base seed (answers are greedy)"})
    max_function_chars: int = field(default=8000, metadata={
        "help": "pairs whose vulnerable or secure function is longer are left out (a prompt must fit the "
                "model's context; counted in the result)"})
    prompts_per_batch: int = field(default=16, metadata={"help": "prompts generated together before saving"})

    def __post_init__(self) -> None:
        self.data = tuple(Path(p) for p in ([self.data] if isinstance(self.data, (str, Path)) else self.data))
        if self.limit < 0:
            raise ConfigError(f"limit must be 0 (all) or positive, got {self.limit}")
        if self.max_new_tokens < 1 or self.prompts_per_batch < 1 or self.max_function_chars < 1:
            raise ConfigError("max_new_tokens, prompts_per_batch and max_function_chars must be positive")
