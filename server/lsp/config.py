"""The language server's configuration: one dataclass, from defaults, YAML and flags.

`LspConfig` is what `safecoder lsp` builds from its command line (`--config FILE.yaml`
and flags, through `safecoder.config`). An editor may then adjust the user-facing
part of it at run time (server URL, API key, gate mode, on/off switches, debounce)
through its settings; `settings.py` validates those and returns a new `LspConfig`.

Not here: the API key. It never sits on a command line (visible to every local user
in the process list); it comes from the environment variable named by
`api_key_env` or from the editor's secret storage, through the settings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

from safecoder.config import ConfigError

GateMode = Literal["off", "annotate", "rerank", "block"]
EngineKind = Literal["auto", "transformers", "vllm", "llama"]
GATE_MODES: tuple[str, ...] = ("off", "annotate", "rerank", "block")


@dataclass(frozen=True)
class LspConfig:
    tcp: str | None = field(default=None, metadata={
        "help": "listen on HOST:PORT over TCP instead of talking over stdin/stdout"})
    server_url: str | None = field(default=None, metadata={
        "help": "a SafeCoder HTTP server (e.g. http://127.0.0.1:8000); unset runs the model in this process"})
    api_key_env: str = field(default="SAFECODER_API_KEY", metadata={
        "help": "environment variable holding the HTTP server's API key (editors pass it in their settings)"})
    model: str = field(default="default", metadata={
        "help": "model reference for the in-process engine (a path, a registry version or alias; 'default' "
                "loads what `safecoder serve` would serve: production, else the shipped SafeCoder model); "
                "with --server-url, the model name sent to the server ('default' asks the server for its own)"})
    engine: EngineKind = field(default="auto", metadata={
        "help": "in-process engine kind; auto picks llama.cpp on a CPU when the model has a GGUF"})
    gate: GateMode = field(default="rerank", metadata={
        "help": "security gate for suggestions: off, annotate (show with findings), rerank (prefer a "
                "candidate without findings) or block (show only candidates without findings)"})
    gate_candidates: int = field(default=2, metadata={
        "help": "candidates drawn per completion for the gate to choose from (1 = greedy, no choice)"})
    completions: bool = field(default=True, metadata={"help": "offer inline and list completions"})
    diagnostics: bool = field(default=True, metadata={"help": "publish CWE diagnostics"})
    fixes: bool = field(default=True, metadata={"help": "offer the verified 'Fix with SafeCoder' code action"})
    preload: bool = field(default=True, metadata={
        "help": "load the in-process model right after the editor connects, not on the first completion"})
    completion_debounce_ms: int = field(default=150, metadata={
        "help": "wait this long after an automatic inline-completion request before generating; a newer "
                "request for the same document replaces it"})
    diagnostics_debounce_ms: int = field(default=300, metadata={
        "help": "wait this long after the last change before analysing a document again"})
    prefix_chars: int = field(default=3000, metadata={"help": "characters before the cursor sent as context"})
    suffix_chars: int = field(default=1000, metadata={"help": "characters after the cursor sent as context"})
    max_tokens: int = field(default=64, metadata={"help": "longest completion, in tokens"})
    temperature: float = field(default=0.2, metadata={
        "help": "sampling temperature for completions (0 = greedy; the gate needs > 0 to draw distinct candidates)"})
    cache_size: int = field(default=256, metadata={"help": "recent completions kept for instant reuse"})
    request_timeout_s: float = field(default=30.0, metadata={"help": "timeout of one request to the HTTP server"})
    fix_candidates: int = field(default=3, metadata={"help": "fix candidates drawn and verified per code action"})
    fix_max_tokens: int = field(default=384, metadata={"help": "longest fixed function, in tokens"})
    fix_temperature: float = field(default=0.4, metadata={"help": "sampling temperature for fix candidates"})

    def __post_init__(self) -> None:
        if self.tcp is not None:
            parse_tcp_address(self.tcp)
        if self.server_url is not None and not self.server_url.startswith(("http://", "https://")):
            raise ConfigError(f"server_url {self.server_url!r} must start with http:// or https://")
        if self.gate not in GATE_MODES:
            raise ConfigError(f"gate {self.gate!r} is not one of {', '.join(GATE_MODES)}")
        positive = ("gate_candidates", "prefix_chars", "max_tokens", "fix_candidates", "fix_max_tokens")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("completion_debounce_ms", "diagnostics_debounce_ms", "suffix_chars", "cache_size"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("temperature", "fix_temperature"):
            if not 0.0 <= getattr(self, name) <= 2.0:
                raise ConfigError(f"{name} must be between 0 and 2, got {getattr(self, name)}")
        if self.request_timeout_s <= 0:
            raise ConfigError(f"request_timeout_s must be positive, got {self.request_timeout_s}")

    def replace(self, **changes) -> LspConfig:
        return dataclasses.replace(self, **changes)


def parse_tcp_address(address: str) -> tuple[str, int]:
    """`HOST:PORT` -> (host, port); the error names the value and the expected form."""
    host, separator, port_text = address.rpartition(":")
    if not separator or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"--tcp {address!r} is not HOST:PORT (e.g. 127.0.0.1:2087)")
    return host.strip("[]"), int(port_text)
