"""SafeCoder's language server: inline completions, CWE diagnostics and verified fixes.

Run it with `safecoder lsp` (stdio; `--tcp HOST:PORT` for TCP). `server.py` holds the
state and `create_server`; each LSP feature lives in its own module (`lifecycle`,
`inline_completion`, `completion`, `diagnostics`, `code_actions`); suggestions come
from a SafeCoder HTTP server (`remote_backend`) or an in-process engine
(`engine_backend`). Importing this package loads nothing heavy.
"""
