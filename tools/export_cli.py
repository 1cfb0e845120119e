"""`safecoder export ...`: GGUF files of a registered model, and their equivalence check.

    safecoder export gguf v0003 --type f16 --type q4_0   # files in the version, recorded
    safecoder export check v0003                         # greedy agreement + security, side by side

Registering the commands imports nothing heavy; the handlers import the converter
driver, the engines and the benchmark.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    from safecoder.config import add_arguments
    from safecoder.models.gguf_export import GGUF_TYPES, ExportConfig
    from safecoder.tools.gguf_check import CheckConfig

    export = subparsers.add_parser("export", help="GGUF exports for the llama.cpp CPU engine, and their check")
    commands = export.add_subparsers(dest="export_command", required=True)

    gguf = commands.add_parser(
        "gguf", help="write GGUF files of a model and record them in its registry version",
        description="Converts a model's transformers weights with llama.cpp's converter (float types) and "
        "quantizer (quantized types). A registry version gets the files in its gguf/ folder and its manifest; "
        "the last type given is the one the llama.cpp engine serves.",
    )
    gguf.add_argument("reference", help="a registry version or alias, or a folder of transformers weights")
    gguf.add_argument("--type", dest="types", action="append", choices=GGUF_TYPES, default=argparse.SUPPRESS,
                      help="a GGUF type to write (repeatable, in order; default: f16 then q4_0)")
    add_arguments(gguf, ExportConfig)
    gguf.set_defaults(handler=_export)

    check = commands.add_parser(
        "check", help="compare GGUF exports with the original weights (greedy agreement, security benchmark)",
        description="Greedy completions of each GGUF export and of the original weights on a fixed prompt set "
        "(exact agreement required of float exports, a minimum rate of quantized ones), and the security "
        "benchmark on both side by side. Exits with status 1 when the verdict fails.",
    )
    check.add_argument("reference", help="a registry version or alias with recorded GGUF exports, or a weights folder")
    check.add_argument("--gguf", dest="ggufs", action="append", default=argparse.SUPPRESS,
                       help="a GGUF file or a recorded quantization to check (repeatable; default: all recorded)")
    check.add_argument("--json", action="store_true", help="print the whole report as JSON")
    add_arguments(check, CheckConfig)
    check.set_defaults(handler=_check)


def _export(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from safecoder.config import build
    from safecoder.models.gguf_export import ExportConfig, export_gguf
    from safecoder.models.reference import resolve

    config = build(ExportConfig, args)
    files = export_gguf(args.reference, config, progress=True)
    table = Table(title=f"GGUF export of {args.reference}")
    for column in ("type", "file", "MiB", "sha256"):
        table.add_column(column)
    for exported in files:
        table.add_row(exported.quantization, exported.path.name, f"{exported.bytes / 2**20:.1f}", exported.sha256[:16])
    Console().print(table)
    print(f"folder: {files[-1].path.parent}")
    if config.record and resolve(args.reference).registry_version:
        print(f"recorded in the registry; the llama.cpp engine serves {files[-1].path.name}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from safecoder.config import build
    from safecoder.tools.gguf_check import CheckConfig, check_equivalence

    config = build(CheckConfig, args)
    report = check_equivalence(args.reference, config, progress=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0 if report["verdict"]["passed"] else 1
    console = Console()
    table = Table(title=f"GGUF equivalence of {args.reference} ({report['prompt_set']['prompts_used']} prompts, "
                        f"{report['prompt_set']['max_new_tokens']} greedy tokens)")
    for column in ("export", "type", "exact", "agreement", "common prefix"):
        table.add_column(column)
    for export in report["exports"]:
        table.add_row(export["file"].rsplit("/", 1)[-1], export["quantization"],
                      f"{export['exact']}/{export['prompts']}", f"{export['agreement']:.0%}",
                      f"{export['mean_common_prefix']:.0%}")
    console.print(table)
    if report["security"]:
        security = Table(title="security benchmark, side by side (same seeds)")
        for column in ("side", "engine", "scenarios", "programs", "security rate", "strict", "unparseable"):
            security.add_column(column)
        for label, side in report["security"]["sides"].items():
            overall = side["overall"]
            rates = overall["rates"]
            security.add_row(label, side["engine"], str(overall["scenarios"]), str(overall["counts"]["programs"]),
                             _percent(rates["paper"]), _percent(rates["strict"]), _percent(rates["unparseable"]))
        console.print(security)
    verdict = report["verdict"]
    if verdict["passed"]:
        console.print("[bold green]passed[/bold green]: the exports behave like the weights")
    else:
        console.print("[bold red]failed[/bold red]:")
        for problem in verdict["problems"]:
            console.print(f"  - {problem}", highlight=False)
    if report.get("path"):
        print(f"report: {report['path']}")
    return 0 if verdict["passed"] else 1


def _percent(value) -> str:
    return "-" if value is None else f"{value:.1f}%"
