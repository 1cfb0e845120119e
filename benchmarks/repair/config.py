"""Settings of the repair benchmark (vulnerable functions of the shared security pairs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from safecoder.config import ConfigError
from safecoder.repair.prompts import HINTS, Hint

JUDGES = ("fast", "ensemble")


@dataclass
class RepairConfig:
    data: tuple[Path, ...] = field(default=(), metadata={
        "help": "security-pair files or folders (default: the shared data's security_pairs/safecoder/val)"})
    limit: int = field(default=0, metadata={"help": "a seeded sample of N tasks (0: every flagged pair)"})
    sample_seed: int = field(default=1, metadata={"help": "seed of the task sample"})
    hints: tuple[Hint, ...] = field(default=HINTS, metadata={
        "help": "prompt settings: none (no hint), cwe (the CWE named), line (the CWE and the flagged line)"})
    k: int = field(default=4, metadata={
        "help": "rewrites drawn per task and setting; the single draw is the first, the verified-fix loop keeps "
                "the first verified"})
    temperature: float = field(default=0.4, metadata={"help": "sampling temperature (as `safecoder fix`)"})
    top_p: float = field(default=0.95, metadata={"help": "nucleus sampling"})
    max_new_tokens: int = field(default=384, metadata={"help": "longest rewritten function, in tokens"})
    seed: int = field(default=1, metadata={"help": "base sampling seed; each task derives its own"})
    judges: tuple[str, ...] = field(default=JUDGES, metadata={
        "help": "judges of 'fixed': fast (the in-process analyzer), ensemble (Semgrep and Bandit)"})
    max_function_chars: int = field(default=8000, metadata={
        "help": "pairs whose vulnerable or secure function is longer are left out (a prompt must fit the "
                "model's context; counted in the result)"})
    prompts_per_batch: int = field(default=8, metadata={"help": "prompts generated together before saving"})

    def __post_init__(self) -> None:
        self.data = tuple(Path(p) for p in ([self.data] if isinstance(self.data, (str, Path)) else self.data))
        self.hints = tuple(self.hints)
        self.judges = tuple(self.judges)
        if self.limit < 0:
            raise ConfigError(f"limit must be 0 (all) or positive, got {self.limit}")
        bad = sorted(set(self.hints) - set(HINTS))
        if bad or not self.hints:
            raise ConfigError(f"hints must be among {list(HINTS)}, got {list(self.hints)}")
        bad = sorted(set(self.judges) - set(JUDGES))
        if bad or not self.judges:
            raise ConfigError(f"judges must be among {list(JUDGES)}, got {list(self.judges)}")
        if not 1 <= self.k <= 64:
            raise ConfigError(f"k must be between 1 and 64, got {self.k}")
        if not 0.0 <= self.temperature <= 2.0:
            raise ConfigError(f"temperature must be between 0 and 2, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1 or self.prompts_per_batch < 1 or self.max_function_chars < 1:
            raise ConfigError("max_new_tokens, prompts_per_batch and max_function_chars must be positive")
