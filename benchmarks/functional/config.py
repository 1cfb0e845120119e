"""Settings of the functional benchmark (defaults: the paper's protocol)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from safecoder.config import ConfigError

DATASETS = ("humaneval", "mbpp")


@dataclass
class FunctionalConfig:
    datasets: tuple[str, ...] = field(default=DATASETS, metadata={"help": "humaneval and/or mbpp"})
    data_dir: Path | None = field(default=None, metadata={
        "help": "folder holding human_eval/ and mbpp/ in MultiPL-E form (default: the shared data's func_eval)"})
    limit: int = field(default=0, metadata={"help": "first N problems of each dataset (0: all)"})
    n: int = field(default=40, metadata={"help": "samples per problem and temperature (the paper: 40)"})
    pass1_temperature: float = field(default=0.2, metadata={"help": "temperature of the pass@1 run"})
    pass10_temperature: float = field(default=0.6, metadata={"help": "temperature of the pass@10 run"})
    pass_at_10: bool = field(default=True, metadata={"help": "also run the pass@10 samples (needs n >= 10)"})
    top_p: float = field(default=0.95, metadata={"help": "nucleus sampling"})
    max_new_tokens: int = field(default=256, metadata={"help": "tokens per sample at most"})
    prompt_style: Literal["instruction", "chat", "completion"] = field(default="instruction", metadata={
        "help": "instruction template (the paper's), the model's chat template, or the bare prompt"})
    seed: int = field(default=1, metadata={"help": "base seed; each problem derives its own"})
    timeout_s: float = field(default=10.0, metadata={"help": "wall-clock limit for running one program"})
    workers: int = field(default=2, metadata={"help": "programs run in parallel"})
    problems_per_batch: int = field(default=16, metadata={
        "help": "problems generated and run together before their results are saved"})

    def __post_init__(self) -> None:
        self.datasets = tuple(self.datasets)
        if self.data_dir is not None:
            self.data_dir = Path(self.data_dir)
        unknown = sorted(set(self.datasets) - set(DATASETS))
        if unknown or not self.datasets:
            raise ConfigError(f"datasets must be among {list(DATASETS)}, got {list(self.datasets)}")
        if self.limit < 0:
            raise ConfigError(f"limit must be 0 (all) or positive, got {self.limit}")
        if not 1 <= self.n <= 1000:
            raise ConfigError(f"n must be between 1 and 1000, got {self.n}")
        if self.pass_at_10 and self.n < 10:
            raise ConfigError(f"pass@10 needs n >= 10 samples per problem (got {self.n}): raise --n or pass "
                              "--no-pass-at-10")
        for name in ("pass1_temperature", "pass10_temperature"):
            if not 0.0 <= getattr(self, name) <= 5.0:
                raise ConfigError(f"{name} must be between 0 and 5, got {getattr(self, name)}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1 or self.timeout_s <= 0 or self.workers < 1 or self.problems_per_batch < 1:
            raise ConfigError("max_new_tokens, timeout_s, workers and problems_per_batch must be positive")
        if self.prompt_style not in ("instruction", "chat", "completion"):
            raise ConfigError(f"prompt_style must be instruction, chat or completion, got {self.prompt_style!r}")

    def runs(self) -> list[tuple[str, float, int]]:
        """(name, temperature, k) of each sampling run."""
        runs = [("pass@1", self.pass1_temperature, 1)]
        if self.pass_at_10:
            runs.append(("pass@10", self.pass10_temperature, 10))
        return runs
