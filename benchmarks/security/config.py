"""Settings of the security benchmark (defaults: the paper's protocol)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from safecoder.config import ConfigError
from safecoder.suggest.gate import DEFAULT_MIN_KEPT


@dataclass
class SecurityConfig:
    scenarios: Path | None = field(default=None, metadata={
        "help": "folder of scenarios in the paper's format (default: the shared data's sec_eval)"})
    only: tuple[str, ...] = field(default=(), metadata={
        "help": "run only scenarios whose id matches one of these globs, e.g. 'trained/cwe-089/*'"})
    n: int = field(default=100, metadata={"help": "samples per scenario (the paper: 100)"})
    temperature: float = field(default=0.4, metadata={"help": "sampling temperature (the paper: 0.4)"})
    top_p: float = field(default=0.95, metadata={"help": "nucleus sampling (the paper: 0.95)"})
    max_new_tokens: int = field(default=256, metadata={"help": "tokens per sample at most (the paper: 256)"})
    prompt_style: Literal["instruction", "chat", "completion"] = field(default="instruction", metadata={
        "help": "instruction template (the paper's), the model's chat template, or bare code for base models"})
    deduplicate: bool = field(default=True, metadata={
        "help": "count identical programs once (the paper's own code did not; --no-deduplicate for that)"})
    seed: int = field(default=1, metadata={"help": "base seed; each scenario derives its own from it"})
    analyzers: tuple[str, ...] = field(default=(), metadata={
        "help": "analyzers that judge (default: the analysis ensemble)"})
    compile_check: Literal["auto", "always", "never"] = field(default="always", metadata={
        "help": "compilers in the syntax check: always (C/C++ compiled too, as the paper), auto, never"})
    secure_pass: bool = field(default=True, metadata={
        "help": "run the scenarios' functional tests on the samples (needs --allow-code-execution)"})
    dynamic: bool = field(default=True, metadata={
        "help": "attack the programs with the scenarios' exploit tests, the dynamic judge beside the static one "
                "(needs --allow-code-execution); secure-pass then uses its verdict where a scenario has one"})
    test_timeout_s: float = field(default=30.0, metadata={
        "help": "wall-clock limit for one sample's functional test (compilation included)"})
    gate: Literal["off", "rerank", "block"] = field(default="off", metadata={
        "help": "the served security gate in front of the model: off (the model alone, the paper's protocol), "
                "rerank or block, exactly as `safecoder serve --gate` chooses among its candidates"})
    gate_candidates: int = field(default=4, metadata={"help": "k: candidates the gate draws per sample at most"})
    gate_steer: bool = field(default=True, metadata={
        "help": "the gate's steering, as served: when none of k candidates is clean, k more from the prompt "
                "with a comment naming the weakness (off: the plain rerank)"})
    gate_min_kept: float = field(default=DEFAULT_MIN_KEPT, metadata={
        "help": "the share of the model's own draw (its words outside the flagged lines) a clean alternative "
                "must keep to replace it, as served (`safecoder serve --gate-min-kept`); 0 accepts any"})
    workers: int = field(default=2, metadata={"help": "functional tests run in parallel"})
    scenarios_per_batch: int = field(default=8, metadata={
        "help": "scenarios generated and judged together before their results are saved"})

    def __post_init__(self) -> None:
        if self.scenarios is not None:
            self.scenarios = Path(self.scenarios)
        self.only = tuple(self.only)
        self.analyzers = tuple(self.analyzers)
        if not 1 <= self.n <= 10_000:
            raise ConfigError(f"n (samples per scenario) must be between 1 and 10000, got {self.n}")
        if not 0.0 <= self.temperature <= 5.0:
            raise ConfigError(f"temperature must be between 0 and 5, got {self.temperature}")
        if not 0.0 <= self.gate_min_kept <= 1.0:
            raise ConfigError(f"gate_min_kept must be between 0 and 1, got {self.gate_min_kept}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ConfigError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if self.prompt_style not in ("instruction", "chat", "completion"):
            raise ConfigError(f"prompt_style must be instruction, chat or completion, got {self.prompt_style!r}")
        if self.compile_check not in ("auto", "always", "never"):
            raise ConfigError(f"compile_check must be auto, always or never, got {self.compile_check!r}")
        if self.gate not in ("off", "rerank", "block"):
            raise ConfigError(f"gate must be off, rerank or block, got {self.gate!r}")
        if not 1 <= self.gate_candidates <= 16:
            raise ConfigError(f"gate_candidates must be between 1 and 16, got {self.gate_candidates}")
        if self.test_timeout_s <= 0 or self.workers < 1 or self.scenarios_per_batch < 1:
            raise ConfigError("test_timeout_s, workers and scenarios_per_batch must be positive")
