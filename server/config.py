"""The server's configuration: one dataclass, YAML and `safecoder serve` flags on top.

Inputs: defaults < `--config FILE.yaml` < flags (`safecoder.config.build`). Output: a
validated `ServerConfig` that the app factory and the CLI share; `to_dict` of it is what
`/v1/models` and the startup banner report as the effective configuration.

It does not read API keys (that is `safecoder.server.access`, which never logs them) and
does not resolve the model (that is `safecoder.server.model_slot`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from safecoder.config import ConfigError
from safecoder.suggest.gate import DEFAULT_MIN_KEPT

GateMode = Literal["off", "annotate", "rerank", "block"]
GateDraw = Literal["lazy", "eager"]
EngineKind = Literal["auto", "vllm", "transformers", "llama"]
ModelNames = Literal["any", "served"]

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass
class ServerConfig:
    host: str = field(default="127.0.0.1", metadata={
        "help": "address to listen on; anything but loopback needs API keys (--api-key-file or SAFECODER_API_KEYS)"})
    port: int = field(default=8000, metadata={"help": "TCP port (0 picks a free one and prints it)"})
    model: str | None = field(default=None, metadata={
        "help": "model reference: a registry alias (production), a version (v0003), a path or `default`; "
                "unset serves `production` when the registry has it, else `default`"})
    engine: EngineKind = field(default="auto", metadata={
        "help": "generation engine; auto = vLLM on a GPU, llama.cpp for a GGUF on a CPU, else transformers"})
    engine_option: list[str] = field(default_factory=list, metadata={
        "help": "engine keyword option as KEY=VALUE (YAML value), repeatable, e.g. kv_cache_gib=2 or dtype=bfloat16"})
    gate: GateMode = field(default="rerank", metadata={
        "help": "security gate: off; annotate (attach findings); rerank (prefer a candidate without findings, "
                "annotate when all have some); block (the same, but withhold when all have findings)"})
    gate_candidates: int = field(default=4, metadata={
        "help": "k: candidates drawn per choice at most when the gate reranks or blocks"})
    gate_draw: GateDraw = field(default="lazy", metadata={
        "help": "lazy: draw the other k-1 candidates only when the first has findings; eager: draw all k at once"})
    gate_temperature: float = field(default=0.7, metadata={
        "help": "temperature of the extra candidates when the request itself is greedy (temperature 0)"})
    gate_steer: bool = field(default=True, metadata={
        "help": "when none of the k candidates is clean, draw k more from the prompt with a comment naming "
                "the weakness found before the cursor's line (completions; the comment is never returned)"})
    gate_min_kept: float = field(default=DEFAULT_MIN_KEPT, metadata={
        "help": "a clean candidate replaces the model's own flagged draw only when it keeps at least this share "
                "of the draw's words outside the flagged lines (0: any clean candidate; docs/server.md)"})
    gate_override: bool = field(default=True, metadata={
        "help": "let a request choose its own gate mode with the `safecoder_gate` field"})
    api_key_file: Path | None = field(default=None, metadata={
        "help": "file of API keys, one per line: KEY [rpm=N] [name=NAME]; '#' starts a comment"})
    rate_limit_rpm: int = field(default=600, metadata={
        "help": "requests per minute allowed per API key (0: no limit); a key's rpm=N overrides it"})
    metrics_public: bool = field(default=False, metadata={
        "help": "serve /metrics without an API key (for a Prometheus scraper inside a trusted network)"})
    max_request_bytes: int = field(default=1_000_000, metadata={"help": "largest request body accepted (413 above)"})
    max_tokens_limit: int = field(default=2048, metadata={
        "help": "most tokens one answer may have; a larger max_tokens is clamped to it (and to the context)"})
    max_n: int = field(default=16, metadata={"help": "largest n (choices per request)"})
    max_concurrent: int = field(default=32, metadata={"help": "requests generating at once"})
    max_queue: int = field(default=64, metadata={"help": "requests waiting beyond those; more are answered 503"})
    model_names: ModelNames = field(default="any", metadata={
        "help": "which `model` names requests may use: any (one model is served, so every name means it, "
                "as llama.cpp's server does) or served (only its reference, version and name; others get 404)"})
    strict_fields: bool = field(default=False, metadata={
        "help": "refuse (400) request fields this server would ignore, instead of ignoring them with a warning "
                "and the X-SafeCoder-Ignored-Fields header"})
    keep_alive_s: float = field(default=1.0, metadata={
        "help": "seconds between SSE keep-alive comments while the gate holds a stream (rerank, block)"})
    watch_interval_s: float = field(default=2.0, metadata={
        "help": "seconds between checks of the registry alias being served (promotions and rollbacks)"})
    shutdown_grace_s: float = field(default=30.0, metadata={
        "help": "on SIGTERM, seconds running generations get to finish; then they end with a 503 "
                "(server_shutting_down) and the server exits"})
    log_level: Literal["debug", "info", "warning", "error"] = field(default="info", metadata={"help": "server log level"})

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be between 0 and 65535, got {self.port}")
        if not self.host:
            raise ConfigError("host must not be empty; use 127.0.0.1 for loopback")
        if self.gate_candidates < 1 or self.gate_candidates > 32:
            raise ConfigError(f"gate_candidates must be between 1 and 32, got {self.gate_candidates}")
        if not 0.0 <= self.gate_min_kept <= 1.0:
            raise ConfigError(f"gate_min_kept must be between 0 and 1, got {self.gate_min_kept}")
        if not 0.0 < self.gate_temperature <= 2.0:
            raise ConfigError(f"gate_temperature must be in (0, 2], got {self.gate_temperature}")
        for name in ("max_request_bytes", "max_tokens_limit", "max_n", "max_concurrent"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_queue < 0 or self.rate_limit_rpm < 0:
            raise ConfigError("max_queue and rate_limit_rpm must not be negative (0 disables the rate limit)")
        if self.keep_alive_s <= 0:
            raise ConfigError(f"keep_alive_s must be positive, got {self.keep_alive_s}")
        if self.shutdown_grace_s < 0:
            raise ConfigError(f"shutdown_grace_s must be 0 or more, got {self.shutdown_grace_s}")
        if self.watch_interval_s <= 0:
            raise ConfigError(f"watch_interval_s must be positive, got {self.watch_interval_s}")
        if self.api_key_file is not None:
            self.api_key_file = Path(self.api_key_file).expanduser()
        self.engine_options()  # validates the KEY=VALUE syntax early

    def engine_options(self) -> dict:
        """`engine_option` entries as keyword arguments, values read as YAML (2 -> int)."""
        import yaml

        options = {}
        for entry in self.engine_option:
            key, separator, value = entry.partition("=")
            if not separator or not key.strip():
                raise ConfigError(f"engine option {entry!r} is not KEY=VALUE (e.g. kv_cache_gib=2)")
            options[key.strip().replace("-", "_")] = yaml.safe_load(value)
        return options

    @property
    def on_loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
