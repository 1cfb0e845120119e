"""Reliability tools: fuzzers for the HTTP API and the language server, and the soak.

- `http_fuzz`: the HTTP API fuzzed from its own OpenAPI schema (schemathesis) and with
  hand-written hostile bodies and connections;
- `lsp_fuzz`: the language server fuzzed with hypothesis (documents, ranged edits,
  out-of-range positions, cancellation storms, requests before `initialize`);
- `soak`: concurrent clients against `safecoder serve` for minutes, latency and memory;
- `lsp_soak`: editors typing into their own `safecoder lsp` processes (suggestions from
  that server) for minutes, latency, memory and clean exits;
- `bench`: `make bench-reliability`, all of the above with their counts.

Each fuzzer returns a `Tally` (counts by outcome, the first failures); the tests run them
with a small budget, the benchmark with the full one. See docs/reliability.md.
"""
