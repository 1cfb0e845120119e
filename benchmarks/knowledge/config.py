"""Settings of the knowledge benchmark (defaults: the paper's protocol)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from safecoder.config import ConfigError

DATASETS = ("mmlu", "truthfulqa")


@dataclass
class KnowledgeConfig:
    datasets: tuple[str, ...] = field(default=DATASETS, metadata={"help": "mmlu and/or truthfulqa"})
    data_dir: Path | None = field(default=None, metadata={
        "help": "folder holding mmlu/ and truthfulqa/ (default: the shared data)"})
    n_shots: int = field(default=5, metadata={"help": "solved examples before each question (the paper: 5)"})
    subjects: tuple[str, ...] = field(default=(), metadata={"help": "MMLU subjects to run (default: all 57)"})
    limit: int = field(default=0, metadata={
        "help": "at most N questions per MMLU subject and N TruthfulQA questions (0: all)"})
    seed: int = field(default=1, metadata={"help": "seed of TruthfulQA's shot choice and option shuffling"})
    batch_size: int = field(default=8, metadata={"help": "prompts scored per forward pass"})
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = field(default="auto", metadata={
        "help": "weights' dtype for scoring"})
    device: str = field(default="auto", metadata={"help": "device for scoring (auto: cuda when present)"})

    def __post_init__(self) -> None:
        self.datasets = tuple(self.datasets)
        self.subjects = tuple(self.subjects)
        if self.data_dir is not None:
            self.data_dir = Path(self.data_dir)
        unknown = sorted(set(self.datasets) - set(DATASETS))
        if unknown or not self.datasets:
            raise ConfigError(f"datasets must be among {list(DATASETS)}, got {list(self.datasets)}")
        if not 0 <= self.n_shots <= 20:
            raise ConfigError(f"n_shots must be between 0 and 20, got {self.n_shots}")
        if self.limit < 0 or self.batch_size < 1:
            raise ConfigError("limit must be >= 0 and batch_size >= 1")
