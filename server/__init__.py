"""SafeCoder's OpenAI-compatible HTTP server with a static-analysis security gate.

`safecoder serve` (server/cli.py) runs it. Modules, from the wire inwards:
`guard` (keys, rate limits, body size, request metrics), `app` (routes, lifecycle),
`protocol` (request models), `serving` (completions and chat over the engine interface),
`gate` (draw, analyse, choose), `infill` (fill-in-the-middle prompts), `model_slot`
(the model served and registry promotions), `admission` (the bounded queue), `metrics`
(Prometheus), `responses` (OpenAI bodies), `access` (API keys), `config`. `loadtest` is
`make bench-serve`. The language server lives in `safecoder.server.lsp`.

Importing this package imports nothing heavy; the modules import what they need.
"""
