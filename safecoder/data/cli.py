"""`safecoder data ...`: inspect data sets."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="inspect training and evaluation data")
    commands = data.add_subparsers(dest="data_command", required=True)
    stats = commands.add_parser(
        "stats",
        help="samples per (CWE, language) for data files or folders",
        description="Count security pairs per (CWE, language) and instruction samples, for any "
        "supported format (SafeCoder JSONL, the paper's rows, SVEN rows, instruction JSON/JSONL). "
        "Exits with status 1 when a row is malformed.",
    )
    stats.add_argument("paths", nargs="+", help="data files or folders (searched recursively for .jsonl/.json)")
    stats.add_argument("--format", choices=["table", "json"], default="table")
    stats.set_defaults(handler=_stats)


def _stats(args: argparse.Namespace) -> int:
    from rich.console import Console

    from safecoder.data import stats

    result = stats.compute(args.paths)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
    else:
        console = Console()
        if not console.is_terminal:
            console = Console(width=120)
        stats.render(result, console)
    return 1 if result.errors else 0
