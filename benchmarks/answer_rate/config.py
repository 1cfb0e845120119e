"""Settings of the answer-rate benchmark (HumanEval problems as chat instructions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from safecoder.config import ConfigError

DEFAULT_INSTRUCTION = "Complete the following Python function:\n```python\n{prompt}```"


@dataclass
class AnswerRateConfig:
    data_dir: Path | None = field(default=None, metadata={
        "help": "folder holding human_eval/ in MultiPL-E form (default: the shared data's func_eval)"})
    limit: int = field(default=0, metadata={"help": "first N HumanEval problems (0: all 161)"})
    instruction: str = field(default=DEFAULT_INSTRUCTION, metadata={
        "help": "the user's message; {prompt} is the problem's MultiPL-E prompt (signature and docstring)"})
    n: int = field(default=1, metadata={"help": "answers per problem"})
    temperature: float = field(default=0.0, metadata={
        "help": "sampling temperature (default 0: greedy, so a rerun gives the same answers)"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling"})
    max_new_tokens: int = field(default=512, metadata={
        "help": "tokens per answer at most (a chat answer carries prose besides the code)"})
    seed: int = field(default=1, metadata={"help": "base seed; each problem derives its own"})
    prompts_per_batch: int = field(default=16, metadata={
        "help": "problems generated together before their answers are saved"})

    def __post_init__(self) -> None:
        if self.data_dir is not None:
            self.data_dir = Path(self.data_dir)
        if self.limit < 0:
            raise ConfigError(f"limit must be 0 (all) or positive, got {self.limit}")
        if "{prompt}" not in self.instruction:
            raise ConfigError("instruction must contain {prompt}, where the problem goes")
        if not 1 <= self.n <= 256:
            raise ConfigError(f"n must be between 1 and 256, got {self.n}")
        if not 0.0 <= self.temperature <= 5.0:
            raise ConfigError(f"temperature must be between 0 and 5, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1 or self.prompts_per_batch < 1:
            raise ConfigError("max_new_tokens and prompts_per_batch must be positive")
