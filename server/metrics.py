"""Prometheus metrics of one server instance (`/metrics`).

Inputs: observations from the serving code. Output: the text exposition format. Each app
owns its own `CollectorRegistry`, so several servers in one process (tests) do not mix.

- `safecoder_request_duration_seconds{endpoint}`: latency histogram of answered requests
- `safecoder_requests_total{endpoint,status}`: answers by HTTP status
- `safecoder_time_to_first_token_seconds{endpoint}`: histogram (streams: first text chunk)
- `safecoder_generation_tokens_per_second`: per-request decoding rate histogram
- `safecoder_generated_tokens_total`, `safecoder_prompt_tokens_total`: tokens of the returned
  choices and of the prompts (rate() = tokens/s)
- `safecoder_queue_depth`, `safecoder_requests_running`: gauges of the admission queue
- `safecoder_gate_actions_total{action}`, `safecoder_gate_findings_total{cwe,action}`
- `safecoder_gate_seconds`: time the gate added per request (analysis, extra draws)
- `safecoder_cancelled_total{endpoint}`: generations stopped because the client left
- `safecoder_rejections_total{reason}`: 401, 429, 503, 413 refusals
- `safecoder_model_info{reference,version,engine,name}`: the model being served (value 1)
- `safecoder_engine_prompt_tokens_total{source}`: prompt tokens the engine decoded
  (`decoded`) or took from its prompt cache (`reused`); `safecoder_engine_prompt_cache_hits_total`,
  `safecoder_engine_prompt_cache_evictions_total` and the gauge
  `safecoder_engine_prompt_cache_sequences` (finished sequences kept now). Read from the
  engine's `stats()` at each scrape, for engines that count them (llama.cpp).

Not a tracing system: no per-request labels (no keys, no prompts).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
RATE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)


@runtime_checkable
class CountingEngine(Protocol):
    """An engine that reports its own counters (`LlamaEngine.stats`)."""

    def stats(self) -> dict[str, int]: ...


class EngineCollector:
    """The served engine's prompt-cache counters, read when /metrics is scraped."""

    def __init__(self) -> None:
        self.engine: CountingEngine | None = None

    def collect(self):
        stats = self.engine.stats() if self.engine is not None else {}
        if "prompt_tokens_decoded" not in stats:
            return
        tokens = CounterMetricFamily("safecoder_engine_prompt_tokens", "Prompt tokens decoded, or reused from "
                                     "the engine's prompt cache", labels=["source"])
        tokens.add_metric(["decoded"], stats["prompt_tokens_decoded"])
        tokens.add_metric(["reused"], stats["prompt_tokens_reused"])
        yield tokens
        yield CounterMetricFamily("safecoder_engine_prompt_cache_hits", "Requests that reused cached prompt cells",
                                  value=stats["prompt_cache_hits"])
        yield CounterMetricFamily("safecoder_engine_prompt_cache_evictions", "Kept sequences evicted for room",
                                  value=stats["prompt_cache_evictions"])
        yield GaugeMetricFamily("safecoder_engine_prompt_cache_sequences", "Finished sequences kept for reuse",
                                value=stats["prompt_cache_sequences"])


class ServerMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.request_duration = Histogram("safecoder_request_duration_seconds", "Latency of answered requests",
                                          ["endpoint"], buckets=LATENCY_BUCKETS, registry=r)
        self.requests = Counter("safecoder_requests", "Answered requests by status", ["endpoint", "status"],
                                registry=r)
        self.time_to_first_token = Histogram("safecoder_time_to_first_token_seconds", "Time to the first text",
                                             ["endpoint"], buckets=LATENCY_BUCKETS, registry=r)
        self.tokens_per_second = Histogram("safecoder_generation_tokens_per_second",
                                           "Generated tokens per second of generation, per request",
                                           buckets=RATE_BUCKETS, registry=r)
        self.generated_tokens = Counter("safecoder_generated_tokens", "Tokens of the returned choices",
                                        registry=r)
        self.prompt_tokens = Counter("safecoder_prompt_tokens", "Prompt tokens processed", registry=r)
        self.queue_depth = Gauge("safecoder_queue_depth", "Requests waiting for a generation slot", registry=r)
        self.running = Gauge("safecoder_requests_running", "Requests generating now", registry=r)
        self.gate_actions = Counter("safecoder_gate_actions", "Gate outcomes per choice", ["action"], registry=r)
        self.gate_findings = Counter("safecoder_gate_findings", "Findings in gated choices", ["cwe", "action"],
                                     registry=r)
        self.gate_seconds = Histogram("safecoder_gate_seconds", "Time the gate added per request",
                                      buckets=LATENCY_BUCKETS, registry=r)
        self.cancelled = Counter("safecoder_cancelled", "Generations stopped because the client left",
                                 ["endpoint"], registry=r)
        self.rejections = Counter("safecoder_rejections", "Requests refused before generation", ["reason"],
                                  registry=r)
        self.model_info = Gauge("safecoder_model_info", "The model being served",
                                ["reference", "version", "engine", "name"], registry=r)
        self._engine_collector = EngineCollector()
        r.register(self._engine_collector)

    def record_gate(self, outcomes, seconds: float) -> None:
        for outcome in outcomes:
            self.gate_actions.labels(outcome.action).inc()
            for finding in outcome.findings:
                self.gate_findings.labels(finding.cwe, outcome.action).inc()
        self.gate_seconds.observe(seconds)

    def set_model(self, reference: str, version: str | None, engine: str, name: str) -> None:
        self.model_info.clear()
        self.model_info.labels(reference, version or "", engine, name).set(1)

    def watch_engine(self, engine: object) -> None:
        """Export the counters of the engine now served (nothing for engines without them)."""
        self._engine_collector.engine = engine if isinstance(engine, CountingEngine) else None

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
