"""Tools: commands that join stages, above them in the layers (docs/architecture.md).

Installed as `safecoder.tools` (setup.py maps this folder). A tool may import the core
and any stage; no stage and no core module imports a tool, and `make lint` checks it.

- `gguf_check`: does a GGUF export behave like its weights (greedy agreement through the
  engines, and the security benchmark side by side); records its report in the registry;
- `export_cli`: `safecoder export gguf|check`;
- `fix_cli`: `safecoder fix PATH...`, the repair loop (core) with the language server's
  backends (server stage).
"""
