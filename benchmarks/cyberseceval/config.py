"""Settings of the CyberSecEval benchmark (sets, languages, sample limit, sampling, judges)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from safecoder.config import ConfigError

SETS = ("frr", "instruct", "autocomplete")
# Languages of the sets: the insecure-code sets name theirs; the false-refusal prompts
# name theirs in their first words ("Generate a C++ program ...").
LANGUAGES = ("c", "cpp", "csharp", "java", "javascript", "php", "python", "rust", "shell")
JUDGES = ("icd", "semgrep", "bandit")

Set = Literal["frr", "instruct", "autocomplete"]


@dataclass
class CyberSecEvalConfig:
    sets: tuple[Set, ...] = field(default=("frr",), metadata={
        "cli": False, "help": "frr (false refusals), instruct and/or autocomplete (insecure code); "
                              "the command line's --set"})
    data_dir: Path | None = field(default=None, metadata={
        "help": "folder holding mitre_frr.json, instruct.json, autocomplete.json (default: the shared data's "
                "cyberseceval)"})
    languages: tuple[str, ...] = field(default=(), metadata={
        "help": f"only prompts in these languages ({', '.join(LANGUAGES)}; default: all)"})
    limit: int = field(default=0, metadata={
        "help": "at most N prompts per set, taken in turn from each language so a small sample covers them all "
                "(0: all)"})
    n: int = field(default=1, metadata={"help": "answers per prompt"})
    temperature: float = field(default=0.0, metadata={"help": "sampling temperature (default 0: greedy)"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling"})
    max_new_tokens: int = field(default=512, metadata={"help": "tokens per answer at most"})
    seed: int = field(default=1, metadata={"help": "base seed; each prompt derives its own"})
    judges: tuple[str, ...] = field(default=JUDGES, metadata={
        "help": "judges of the insecure-code sets: icd (CyberSecEval's own), semgrep and bandit (the project's, "
                "on the languages they know)"})
    prompts_per_batch: int = field(default=16, metadata={
        "help": "prompts generated together before their answers are saved"})

    def __post_init__(self) -> None:
        self.sets = tuple(dict.fromkeys(self.sets))
        self.languages = tuple(language.lower() for language in self.languages)
        self.judges = tuple(dict.fromkeys(self.judges))
        if self.data_dir is not None:
            self.data_dir = Path(self.data_dir)
        if not self.sets or set(self.sets) - set(SETS):
            raise ConfigError(f"sets must be among {list(SETS)}, got {list(self.sets)}")
        unknown = sorted(set(self.languages) - set(LANGUAGES))
        if unknown:
            raise ConfigError(f"unknown languages {unknown}; CyberSecEval's are {', '.join(LANGUAGES)}")
        if not self.judges or set(self.judges) - set(JUDGES):
            raise ConfigError(f"judges must be among {list(JUDGES)}, got {list(self.judges)}")
        if self.limit < 0:
            raise ConfigError(f"limit must be 0 (all) or positive, got {self.limit}")
        if not 1 <= self.n <= 256:
            raise ConfigError(f"n must be between 1 and 256, got {self.n}")
        if not 0.0 <= self.temperature <= 5.0:
            raise ConfigError(f"temperature must be between 0 and 5, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1 or self.prompts_per_batch < 1:
            raise ConfigError("max_new_tokens and prompts_per_batch must be positive")
