"""`safecoder lsp`: run the language server over stdio (what editors start) or TCP.

    safecoder lsp                                   # stdio, the embedded model in process
    safecoder lsp --server-url http://127.0.0.1:8000  # suggestions from a SafeCoder server
    safecoder lsp --tcp 127.0.0.1:2087              # for editors that connect to a port
    safecoder lsp --config lsp.yaml --gate block    # any option from a YAML file or a flag

Every option is a field of `LspConfig` (`--help` lists them); editors adjust the
user-facing ones through their settings at run time. The API key comes from the
environment (`SAFECODER_API_KEY`, or the variable `--api-key-env` names) or from the
editor, never from a flag.

In stdio mode stdout carries the protocol and nothing else: before the server starts,
the process's stdout file descriptor is moved aside for the protocol and descriptor 1
is pointed at stderr, so a stray print (ours or any library's, C extensions included)
lands in the log instead of corrupting the stream.
"""

from __future__ import annotations

import argparse

DESCRIPTION = (
    "Runs SafeCoder's language server over stdio (default) or TCP. Editors start it: "
    "the VS Code extension and the Neovim plugin in editor_clients/ do."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lsp", help="the language server for editors (inline completions, CWE diagnostics, verified fixes)",
        description=DESCRIPTION,
    )
    _add_options(parser)
    parser.set_defaults(handler=run)


def _add_options(parser: argparse.ArgumentParser) -> None:
    from safecoder.config import add_arguments
    from safecoder.server.lsp.config import LspConfig

    add_arguments(parser, LspConfig)
    parser.add_argument("--stdio", action="store_true",
                        help="talk over stdin/stdout (the default; accepted because some clients pass it)")


def run(args: argparse.Namespace) -> int:
    import logging

    from safecoder.config import build
    from safecoder.server.lsp.config import LspConfig, parse_tcp_address

    config = build(LspConfig, args)
    # pygls logs every message at INFO; only -vv (debug) should show that traffic.
    logging.getLogger("pygls").setLevel(logging.DEBUG if getattr(args, "verbose", 0) > 1 else logging.WARNING)
    protocol_out = None if config.tcp else claim_stdout()
    from safecoder.server.lsp.server import create_server

    server = create_server(config)
    if config.tcp:
        host, port = parse_tcp_address(config.tcp)
        _announce_when_listening(host, port)
        server.start_tcp(host, port)
    else:
        import sys

        server.start_io(sys.stdin.buffer, protocol_out)
    return 0


def claim_stdout():
    """Reserve the real stdout for the protocol; send everything else written to fd 1 to stderr."""
    import os
    import sys

    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "wb", buffering=0)


def main(argv: list[str] | None = None) -> int:
    """`python -m safecoder.server.lsp`: the same command without the rest of the CLI."""
    import sys

    from safecoder.console import configure_logging
    from safecoder.errors import SafeCoderError

    parser = argparse.ArgumentParser(prog="python -m safecoder.server.lsp", description=DESCRIPTION)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    _add_options(parser)
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return run(args)
    except SafeCoderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _announce_when_listening(host: str, port: int) -> None:
    """Say where the server listens once its socket is open, not before: a client that
    connects on the announcement must find it. pygls logs "Serving on ..." (INFO) right after
    binding; that record is turned into the announcement, and pygls's other INFO records stay
    as quiet as the configured level keeps them."""
    import logging

    announcer = logging.getLogger(__name__)
    pygls_server = logging.getLogger("pygls.server")
    shown = pygls_server.getEffectiveLevel()

    def turn_into_announcement(record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Serving on"):
            announcer.warning("SafeCoder language server listening on %s:%d", host, port)
            return False
        return record.levelno >= shown

    pygls_server.setLevel(min(shown, logging.INFO))
    pygls_server.addFilter(turn_into_announcement)
