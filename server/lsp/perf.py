"""`make bench-lsp`: latency of inline completions and diagnostics through the language server.

Starts a real `safecoder lsp` (stdio, the embedded model in its process) and drives it
with the project's LSP client, like an editor:

- inline completion: `--requests` invoked requests, each in a new document (no cache
  hit), from the request to its answer; side by side, in the same run and interleaved
  one by one, the same queries sent straight to the same backend (`EngineBackend`, same
  model, engine and gate) in this process. Their ratio is what the language server
  adds (protocol, window, cache, scheduling).
- diagnostics: a 500-line Python file, edited `--edits` times; from each `didChange` to
  the `publishDiagnostics` of that version (debounce set to 0, so the figure is the
  work, not the wait), beside `analyze_snippet` called directly on the same texts.

Output: a table (p50, p95 in milliseconds and the ratios), and with `--json PATH` the
figures with the effective configuration, written atomically. Timings depend on the
machine's load: compare only figures from one run.

Not measured here: typing-ahead cache hits (microseconds) and model loading (`make
bench-load`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass

FUNCTION_HEADS = [
    "def parse_config(path):\n    ", "def mean(values):\n    ", "def is_prime(n):\n    ",
    "def reverse_words(sentence):\n    ", "def read_lines(filename):\n    ", "def clamp(value, low, high):\n    ",
    "def fibonacci(n):\n    ", "def count_vowels(text):\n    ", "def flatten(nested):\n    ",
    "def merge_dicts(a, b):\n    ", "def celsius_to_fahrenheit(c):\n    ", "def unique(items):\n    ",
    "def factorial(n):\n    ", "def chunk(items, size):\n    ", "def word_count(text):\n    ",
    "def max_index(values):\n    ", "def is_palindrome(s):\n    ", "def gcd(a, b):\n    ",
    "def to_snake_case(name):\n    ", "def median(values):\n    ", "def transpose(matrix):\n    ",
    "def sum_digits(n):\n    ", "def rotate(items, k):\n    ", "def capitalize_words(text):\n    ",
]


@dataclass(frozen=True)
class Figures:
    name: str
    count: int
    p50_ms: float
    p95_ms: float


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[position]


def figures(name: str, seconds: list[float]) -> Figures:
    return Figures(name, len(seconds), 1000 * statistics.median(seconds), 1000 * percentile(seconds, 0.95))


def file_of_500_lines(revision: int) -> str:
    """A 500-line Python module: small functions, one of them with SQL built by formatting."""
    lines = ["import sqlite3", "", f"# revision {revision}", ""]
    index = 0
    while len(lines) < 488:
        lines += [f"def helper_{index}(values, limit={index}):",
                  "    total = 0", "    for value in values:", "        if value > limit:",
                  "            total += value", "    return total", ""]
        index += 1
    lines += ["def find_user(connection, name):", "    cursor = connection.cursor()",
              "    cursor.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)",
              "    return cursor.fetchone()", ""]
    lines += [""] * (500 - len(lines))
    return "\n".join(lines[:500]) + "\n"


async def measure(args: argparse.Namespace) -> dict:
    from safecoder.analysis import analyze_snippet
    from safecoder.server.lsp.backend import GenerationQuery
    from safecoder.server.lsp.client import EditorClient
    from safecoder.server.lsp.engine_backend import EngineBackend

    command = [sys.executable, "-m", "safecoder.server.lsp", "--model", args.model, "--engine", args.engine,
               "--gate", args.gate, "--gate-candidates", str(args.gate_candidates), "--diagnostics-debounce-ms", "0"]
    client = EditorClient()
    await client.connect(command, initialization_options={
        "temperature": 0, "maxTokens": args.max_tokens, "completionDebounceMs": 0})
    direct = EngineBackend(args.model, args.engine)
    try:
        print(f"loading {args.model!r} in the language server and in this process ...", file=sys.stderr)
        await direct.start()

        async def through_lsp(number: int, head: str) -> float:
            uri = f"file:///bench/completion_{number}.py"
            client.open(uri, "python", head)
            lines = head.split("\n")
            started = time.perf_counter()
            await client.inline_completion(uri, len(lines) - 1, len(lines[-1]))
            return time.perf_counter() - started

        async def straight(head: str) -> float:
            query = GenerationQuery(prompt=head, suffix="", language="python", max_tokens=args.max_tokens,
                                    temperature=0.0, stop=("\n\n",), gate=args.gate, gate_candidates=args.gate_candidates)
            started = time.perf_counter()
            await direct.complete(query)
            return time.perf_counter() - started

        await through_lsp(-1, "def warm_up(x):\n    ")  # loads the model in the language server
        await straight("def warm_up(x):\n    ")
        lsp_times, direct_times = [], []
        heads = [FUNCTION_HEADS[i % len(FUNCTION_HEADS)] + ("" if i < len(FUNCTION_HEADS) else f"# {i}\n    ")
                 for i in range(args.requests)]
        for number, head in enumerate(heads):
            lsp_times.append(await through_lsp(number, head))
            direct_times.append(await straight(head))
            print(f"  completion {number + 1}/{len(heads)}", file=sys.stderr)

        uri = "file:///bench/module_500_lines.py"
        client.open(uri, "python", file_of_500_lines(0))
        await client.wait_for_diagnostics(uri, version=1, timeout=120)
        publish_times, analyze_times = [], []
        for revision in range(1, args.edits + 1):
            text = file_of_500_lines(revision)
            started = time.perf_counter()
            version = client.change(uri, text)
            published = await client.wait_for_diagnostics(uri, version=version, timeout=120)
            publish_times.append(time.perf_counter() - started)
            if not any(d.code == "CWE-089" for d in published.diagnostics):
                raise RuntimeError("the 500-line file lost its CWE-089 diagnostic; the benchmark is broken")
            started = time.perf_counter()
            analyze_snippet(text + "\n", "python")
            analyze_times.append(time.perf_counter() - started)
        status = await client.status()
    finally:
        await client.close()
        await direct.close()

    rows = {
        "inline completion via LSP": figures("inline completion via LSP", lsp_times),
        "inline completion, backend direct": figures("inline completion, backend direct", direct_times),
        "diagnostics, 500 lines via LSP": figures("diagnostics, 500 lines via LSP", publish_times),
        "analyze_snippet direct, 500 lines": figures("analyze_snippet direct, 500 lines", analyze_times),
    }
    return {
        "rows": {name: asdict(row) for name, row in rows.items()},
        "ratios": {
            "completion LSP / direct (p50)": rows["inline completion via LSP"].p50_ms
            / rows["inline completion, backend direct"].p50_ms,
            "diagnostics LSP / direct (p50)": rows["diagnostics, 500 lines via LSP"].p50_ms
            / rows["analyze_snippet direct, 500 lines"].p50_ms,
        },
        "backend": status["backend"],
        "config": {**vars(args), "temperature": 0, "debounce_ms": 0},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
    }


def render(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Language server latency ({result['backend']})")
    for column in ("measurement", "n", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for row in result["rows"].values():
        table.add_row(row["name"], str(row["count"]), f"{row['p50_ms']:.1f}", f"{row['p95_ms']:.1f}")
    for name, ratio in result["ratios"].items():
        table.add_row(name, "", f"{ratio:.2f}x", "")
    Console().print(table)
    config = result["config"]
    print(f"completions: {config['max_tokens']} tokens at most, greedy, gate {config['gate']} "
          f"(k={config['gate_candidates']}); diagnostics debounce 0 ms; {result['machine']['cpus']} CPUs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecoder.server.lsp.perf", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="inline completions to time")
    parser.add_argument("--edits", type=int, default=20, help="edits of the 500-line file to time")
    parser.add_argument("--model", default="default", help="model reference")
    parser.add_argument("--engine", default="auto", help="engine kind (auto, transformers, llama, vllm)")
    parser.add_argument("--gate", default="rerank", choices=["off", "annotate", "rerank", "block"])
    parser.add_argument("--gate-candidates", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=32, help="longest completion, in tokens")
    parser.add_argument("--json", default=None, help="also write the figures and configuration to this file")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.edits < 1:
        parser.error("--requests and --edits must be at least 1")
    result = asyncio.run(measure(args))
    render(result)
    if args.json:
        from safecoder.atomic import write_json

        write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
