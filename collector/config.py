"""The collector's settings: the heuristic filter, verification, curation, and instructions.

`CollectConfig` holds what `collect run` does with commits, `InstructConfig` how
instructions are written (shared with `collect instruct`). Each is a dataclass whose
fields carry `metadata={"help": ...}` and validate themselves in `__post_init__`; the
CLI builds them from their defaults, one `--config FILE.yaml` holding keys of either,
and flags. The effective configuration is stored in the pipeline's state and in the
output's manifest.

`pipeline_fingerprint` covers the settings that decide which commits become which pairs
(filter, verification, extraction); a resumed run refuses a state made with other ones.
Curation and instruction settings may change between runs: those stages are recomputed
from the stored pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from safecoder.config import ConfigError, to_dict
from safecoder.hashing import sha256_json

DEFAULT_ENDPOINT = "http://127.0.0.1:8000/v1"

DEFAULT_TEST_PATHS = (
    r"(^|/)(tests?|specs?|__tests__|__mocks__|testing|testdata|test_data|fixtures?)/",
    r"(^|/)test_[^/]*\.py$",
    r"_test\.(py|go|rb|c|cc|cpp|js)$",
    r"Tests?\.java$",
    r"\.(test|spec)\.(js|jsx|mjs|cjs)$",
    r"_spec\.rb$",
)
DEFAULT_VENDORED_PATHS = (
    r"(^|/)(vendor|vendors|third[_-]?party|external|extern|node_modules|bower_components)/",
    r"\.min\.js$",
)
DEFAULT_GENERATED_PATHS = (
    r"(^|/)(dist|generated|gen)/",
    r"_pb2(_grpc)?\.py$",
    r"\.pb\.(go|cc|h)$",
    r"[._]generated\.",
    r"\.bundle\.js$",
)


@dataclass
class CollectConfig:
    """Everything `safecoder collect run` does between its sources and its output."""

    # Heuristic filter.
    keywords: Path | None = field(default=None, metadata={"help": "keyword YAML file (default: the package's keywords.yaml)"})
    max_changed_lines: int = field(default=40, metadata={"help": "most added + deleted lines over a commit's source files"})
    max_files: int = field(default=2, metadata={"help": "most source files a commit may change"})
    test_paths: tuple[str, ...] = field(default=DEFAULT_TEST_PATHS, metadata={"help": "regexes of test file paths, left out"})
    vendored_paths: tuple[str, ...] = field(default=DEFAULT_VENDORED_PATHS, metadata={"help": "regexes of vendored file paths, left out"})
    generated_paths: tuple[str, ...] = field(default=DEFAULT_GENERATED_PATHS, metadata={"help": "regexes of generated file paths, left out"})
    rev: str = field(default="HEAD", metadata={"help": "history walked in each repository of --repos (a git revision range)"})
    # Verification.
    analyzers: tuple[str, ...] = field(default=(), metadata={"help": "analyzers to run (default: the analysis ensemble; add codeql where installed)"})
    whole_repository: bool = field(default=False, metadata={"help": "analyse each version's whole tree (git archive) instead of the changed files; implied by codeql"})
    analysis_timeout_s: float = field(default=600.0, metadata={"help": "time limit of one analysis batch, in seconds"})
    max_file_bytes: int = field(default=1_000_000, metadata={"help": "larger source files are not analysed (the commit is dropped)"})
    # Extraction.
    pair_functions: Literal["flagged", "changed"] = field(default="flagged", metadata={"help": "flagged: only changed functions holding a finding before the fix; changed: every changed function (the paper)"})
    # Execution.
    executor: Literal["local", "ray"] = field(default="local", metadata={"help": "local process pool, or Ray tasks"})
    workers: int = field(default=0, metadata={"help": "worker processes (local) or CPUs for a new local Ray instance; 0 = all cores"})
    batch_size: int = field(default=16, metadata={"help": "candidate commits per verification task (one analyzer start each)"})
    ray_address: str = field(default="", metadata={"help": "Ray cluster address (default: start a local instance)"})
    # Curation.
    near_duplicate_threshold: float = field(default=0.9, metadata={"help": "Jaccard similarity of token 5-grams above which a pair is a near duplicate of an earlier one (1.0 = exact duplicates only)"})
    max_per_class: int = field(default=200, metadata={"help": "cap on pairs per (CWE, language) class; 0 = no cap"})
    max_per_repository: int = field(default=0, metadata={"help": "cap on pairs per repository; 0 = no cap"})
    def __post_init__(self) -> None:
        if self.keywords is not None:
            self.keywords = Path(self.keywords)
        for name in ("max_changed_lines", "max_files", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("workers", "max_per_class", "max_per_repository"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if not 0.0 < self.near_duplicate_threshold <= 1.0:
            raise ConfigError(f"near_duplicate_threshold must be in (0, 1], got {self.near_duplicate_threshold}")
        if self.pair_functions not in ("flagged", "changed"):
            raise ConfigError(f"pair_functions must be 'flagged' or 'changed', got {self.pair_functions!r}")
        if self.executor not in ("local", "ray"):
            raise ConfigError(f"executor must be 'local' or 'ray', got {self.executor!r}")
        if self.analysis_timeout_s <= 0:
            raise ConfigError(f"analysis_timeout_s must be more than 0, got {self.analysis_timeout_s}")
        self.test_paths = tuple(self.test_paths)
        self.vendored_paths = tuple(self.vendored_paths)
        self.generated_paths = tuple(self.generated_paths)
        self.analyzers = tuple(a.strip() for a in self.analyzers if a.strip())
        if "codeql" in self.analyzers:
            self.whole_repository = True

    def pipeline_fingerprint(self, keywords_fingerprint: str) -> str:
        """Hash of the settings that decide which commits yield which pairs."""
        settings = to_dict(self)
        decisive = {key: settings[key] for key in (
            "max_changed_lines", "max_files", "test_paths", "vendored_paths", "generated_paths",
            "analyzers", "whole_repository", "max_file_bytes", "pair_functions",
        )}
        decisive["keywords"] = keywords_fingerprint
        return sha256_json(decisive)[:16]


@dataclass
class InstructConfig:
    """Where and how instructions are written (`collect run` and `collect instruct`)."""

    instruct: str = field(default=DEFAULT_ENDPOINT, metadata={"help": "OpenAI-compatible base URL that writes the instructions, or 'none' to leave them empty"})
    instruct_model: str = field(default="", metadata={"help": "model name at the endpoint (default: the first the endpoint lists)"})
    instruct_api_key_env: str = field(default="OPENAI_API_KEY", metadata={"help": "environment variable holding the endpoint's API key"})
    instruct_temperature: float = field(default=0.0, metadata={"help": "sampling temperature (0 = greedy, reproducible)"})
    instruct_seed: int = field(default=0, metadata={"help": "sampling seed sent with every request"})
    instruct_max_tokens: int = field(default=96, metadata={"help": "longest answer, in tokens"})
    instruct_max_words: int = field(default=50, metadata={"help": "answers with more words are rejected"})
    instruct_add_language: bool = field(default=True, metadata={"help": "keep an answer whose only fault is that it does not name the language, with the language put in front, instead of asking again"})
    instruct_rpm: float = field(default=0.0, metadata={"help": "requests per minute at most; 0 = unlimited"})
    instruct_concurrency: int = field(default=1, metadata={"help": "requests in flight at once"})
    instruct_retries: int = field(default=4, metadata={"help": "retries of a failed request (connection errors, 429, 5xx), with exponential backoff"})
    instruct_timeout_s: float = field(default=120.0, metadata={"help": "time limit of one request, in seconds"})
    instruct_cache: bool = field(default=True, metadata={"help": "reuse instructions cached by content hash under SAFECODER_HOME"})

    def __post_init__(self) -> None:
        if self.instruct != "none" and not self.instruct.startswith(("http://", "https://")):
            raise ConfigError(f"instruct must be an http(s) base URL such as {DEFAULT_ENDPOINT}, or 'none'; got {self.instruct!r}")
        for name in ("instruct_max_tokens", "instruct_max_words", "instruct_concurrency"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.instruct_retries < 0 or self.instruct_rpm < 0 or self.instruct_temperature < 0:
            raise ConfigError("instruct_retries, instruct_rpm and instruct_temperature must be 0 or more")
        if self.instruct_timeout_s <= 0:
            raise ConfigError(f"instruct_timeout_s must be more than 0, got {self.instruct_timeout_s}")

    @property
    def enabled(self) -> bool:
        return self.instruct != "none"
