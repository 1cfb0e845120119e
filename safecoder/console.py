"""Logging for command-line entry points: rich output on stderr, attached only by a CLI.

`configure_logging` is what `safecoder ...` and `python -m safecoder.server.lsp` call
first; library code only logs through `logging.getLogger(__name__)`. Nothing here writes
to stdout (the language server speaks its protocol there).
"""

from __future__ import annotations

import logging


def configure_logging(verbosity: int) -> None:
    from rich.logging import RichHandler

    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = RichHandler(console=stderr_console(), show_path=False, rich_tracebacks=True)
    logging.basicConfig(level=level, format="%(message)s", datefmt="[%X]", handlers=[handler], force=True)
    logging.getLogger("safecoder").setLevel(min(level, logging.INFO))


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)
