"""The `safecoder` command: one entry point, a sub-command per part of the system.

The entry layer, above the tools, the stages and the core (docs/architecture.md): it
names every part's `cli` module, so it may import anything and nothing imports it (but
`python -m safecoder` and `python -m safecoder.trainer`, entry points themselves).

Each part registers its sub-commands from its own `cli` module; registering must stay
cheap (no torch, no model), so heavy imports happen inside the handlers. A handler
returns the exit status. Errors derived from `SafeCoderError` print their message and
exit with status 2; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from safecoder import __version__
from safecoder.console import configure_logging, stderr_console
from safecoder.errors import SafeCoderError

# Order is the order of `safecoder --help`: data flows from collection to serving.
COMMAND_MODULES = (
    "safecoder.data.cli",
    "safecoder.collector.cli",
    "safecoder.analysis.cli",
    "safecoder.trainer.cli",
    "safecoder.models.cli",
    "safecoder.registry.cli",
    "safecoder.benchmarks.cli",
    "safecoder.tools.fix_cli",
    "safecoder.tools.export_cli",
    "safecoder.server.cli",
    "safecoder.server.lsp.cli",
)


# Commands known under a second name. `registry promote` is `promote`, the promotion gate
# (benchmarks stage): one path moves `production`, and the registry imports no stage.
COMMAND_ALIASES = {("registry", "promote"): ("promote",)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safecoder",
        description="SafeCoder: a secure code assistant and the factory that trains it.",
    )
    parser.add_argument("--version", action="version", version=f"safecoder {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for user errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # A part whose `cli` module does not exist (yet) simply adds no command;
            # a missing dependency inside an existing module is a real error.
            if exc.name is None or not (module_name == exc.name or module_name.startswith(exc.name + ".")):
                raise
            continue
        module.register(subparsers)
    return parser


def expand_aliases(argv: list[str]) -> list[str]:
    """`argv` with a command alias (`COMMAND_ALIASES`) replaced by the command it names.

    The command is the first word that is not a global option (none of which takes a value).
    """
    for index, word in enumerate(argv):
        if word.startswith("-"):
            continue
        for alias, command in COMMAND_ALIASES.items():
            if tuple(argv[index:index + len(alias)]) == alias:
                return [*argv[:index], *command, *argv[index + len(alias):]]
        break
    return argv


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(expand_aliases(list(sys.argv[1:] if argv is None else argv)))
    configure_logging(args.verbose)
    try:
        return int(args.handler(args) or 0)
    except SafeCoderError as exc:
        if args.debug:
            raise
        stderr_console().print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        return 2
    except KeyboardInterrupt:
        stderr_console().print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
