"""The soak: concurrent clients against `safecoder serve` for minutes, with the gate on.

    python -m safecoder.server.reliability.soak --minutes 10 --clients 16      # the full soak
    python -m safecoder.server.reliability.soak --minutes 0.5 --clients 4      # a short one

Input: a server to start (the packaged `default` model on the transformers engine, gate
`rerank`, unless `--serve-args` says otherwise) or a running one (`--url`, with `--pid`
for its memory). Each client loops over a fixed mix: a completion, a streamed completion,
a stream it leaves after the first bytes (a cancellation), fill-in-the-middle (a
`suffix`, and Mistral's `/v1/fim/completions`), and a chat answer.

Output: per minute, requests, errors and p50/p99 latency of the answered ones; resident
memory of the server after a warm-up and at the end. An *error* is anything but a 2xx,
except the documented overload answers (429, 503 with Retry-After), counted apart.
Not a throughput benchmark (`make bench-serve` is): the point is that nothing fails,
leaks or slows down over time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from safecoder.server.reliability.spawn import resident_mib, start_serve

MIX = ("complete", "stream", "cancel", "fim", "mistral_fim", "chat")
OVERLOAD = (429, 503)


@dataclass
class Minute:
    minute: int
    requests: int = 0
    errors: int = 0
    overloaded: int = 0
    p50_s: float | None = None
    p99_s: float | None = None


@dataclass
class SoakReport:
    clients: int
    minutes: float
    requests: int = 0
    errors: int = 0
    overloaded: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    per_minute: list[Minute] = field(default_factory=list)
    rss_start_mib: float | None = None
    rss_end_mib: float | None = None
    first_errors: list[str] = field(default_factory=list)
    subject: str = "soak"

    @property
    def rss_growth(self) -> float | None:
        if self.rss_start_mib and self.rss_end_mib:
            return self.rss_end_mib / self.rss_start_mib - 1
        return None

    def text(self) -> str:
        lines = [f"{self.subject}: {self.clients} clients, {self.minutes:g} min: {self.requests} requests, "
                 f"{self.errors} errors, {self.overloaded} overloaded (429/503)",
                 "minute  requests  errors  p50 s  p99 s"]
        for row in self.per_minute:
            p50 = f"{row.p50_s:.2f}" if row.p50_s is not None else "-"
            p99 = f"{row.p99_s:.2f}" if row.p99_s is not None else "-"
            lines.append(f"{row.minute:>6}  {row.requests:>8}  {row.errors:>6}  {p50:>5}  {p99:>5}")
        if self.by_kind:
            lines.append("by kind: " + ", ".join(f"{kind} {count}" for kind, count in sorted(self.by_kind.items())))
        if self.rss_growth is not None:
            lines.append(f"resident memory: {self.rss_start_mib:.0f} MiB after warm-up, {self.rss_end_mib:.0f} MiB "
                         f"at the end ({self.rss_growth:+.1%})")
        lines.extend(f"error: {e}" for e in self.first_errors)
        return "\n".join(lines)


def _body(kind: str, index: int, max_tokens: int) -> tuple[str, dict]:
    prompt = f"def handler_{index % 50}(request):\n    "
    if kind in ("complete", "stream", "cancel"):
        return "/v1/completions", {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0.2,
                                   "stream": kind != "complete", "seed": index}
    if kind == "fim":
        return "/v1/completions", {"prompt": prompt, "suffix": "\n    return result\n", "max_tokens": max_tokens,
                                   "temperature": 0.2, "seed": index}
    if kind == "mistral_fim":
        return "/v1/fim/completions", {"prompt": prompt, "suffix": "\n", "max_tokens": max_tokens}
    return "/v1/chat/completions", {"messages": [{"role": "user", "content": f"Write a Python function #{index} "
                                                  "that reads a file safely."}], "max_tokens": max_tokens}


async def _client(number: int, http: httpx.AsyncClient, until: float, started: float, max_tokens: int,
                  samples: list[tuple[int, str, float, int]]) -> None:
    index = number
    while time.monotonic() < until:
        kind = MIX[index % len(MIX)]
        path, body = _body(kind, index, max_tokens)
        begun = time.monotonic()
        status = 0
        try:
            if body.get("stream"):
                async with http.stream("POST", path, json=body) as response:
                    status = response.status_code
                    async for chunk in response.aiter_text():
                        if kind == "cancel":
                            break  # the client leaves: the server must stop generating
                        if "server_error" in chunk:
                            status = 500
            else:
                response = await http.post(path, json=body)
                status = response.status_code
        except httpx.HTTPError as exc:
            status = -1
            samples.append((int((begun - started) // 60), f"{kind}: {type(exc).__name__}: {exc}",
                            time.monotonic() - begun, status))
            index += 16
            continue
        samples.append((int((begun - started) // 60), kind, time.monotonic() - begun, status))
        index += 16


async def soak(url: str, clients: int, minutes: float, max_tokens: int = 16, pid: int | None = None,
               warmup_s: float = 20.0, timeout_s: float = 300.0) -> SoakReport:
    report = SoakReport(clients, minutes)
    samples: list[tuple[int, str, float, int]] = []
    async with httpx.AsyncClient(base_url=url, timeout=timeout_s,
                                 limits=httpx.Limits(max_connections=clients * 2)) as http:
        warm_until = time.monotonic() + warmup_s  # the engine's first requests allocate its caches
        await asyncio.gather(*(_client(i, http, warm_until, time.monotonic(), max_tokens, []) for i in range(clients)))
        report.rss_start_mib = resident_mib(pid) if pid else None
        started = time.monotonic()
        await asyncio.gather(*(_client(i, http, started + minutes * 60, started, max_tokens, samples)
                               for i in range(clients)))
        report.rss_end_mib = resident_mib(pid) if pid else None
    return aggregate(report, samples)


def aggregate(report: SoakReport, samples: list[tuple[int, str, float, int]]) -> SoakReport:
    """Fill the report from (minute, what, seconds, status) samples: 2xx answered, 429/503
    overloaded, anything else an error (`what` holds the reason after its kind)."""
    rows: dict[int, list[tuple[str, float, int]]] = defaultdict(list)
    kinds: dict[str, int] = defaultdict(int)
    for minute, what, seconds, status in samples:
        rows[minute].append((what, seconds, status))
        kinds[what.split(":")[0]] += 1
    for minute in sorted(rows):
        row = Minute(minute)
        answered = []
        for what, seconds, status in rows[minute]:
            row.requests += 1
            if 200 <= status < 300:
                answered.append(seconds)
            elif status in OVERLOAD:
                row.overloaded += 1
            else:
                row.errors += 1
                if len(report.first_errors) < 10:
                    report.first_errors.append(f"minute {minute}: {what} -> {status}")
        if answered:
            row.p50_s = statistics.median(answered)
            row.p99_s = sorted(answered)[min(len(answered) - 1, int(len(answered) * 0.99))]
        report.per_minute.append(row)
        report.requests += row.requests
        report.errors += row.errors
        report.overloaded += row.overloaded
    report.by_kind = dict(kinds)
    return report


DEFAULT_SERVE_ARGS = "--model default --engine transformers --gate rerank --gate-candidates 2"


def soak_parser(doc: str | None, clients_help: str) -> argparse.ArgumentParser:
    """The options both soaks share: duration, clients, warm-up, the server, the JSON report."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the measured part runs")
    parser.add_argument("--clients", type=int, default=16, help=clients_help)
    parser.add_argument("--warmup-s", type=float, default=20.0, help="unmeasured warm-up before the memory baseline")
    parser.add_argument("--url", help="a running server's root URL (then nothing is started)")
    parser.add_argument("--serve-args", default=DEFAULT_SERVE_ARGS, help="flags of the `safecoder serve` started")
    parser.add_argument("--json", type=Path, help="also write the report here as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = soak_parser(__doc__, "concurrent clients")
    parser.add_argument("--max-tokens", type=int, default=16, help="max_tokens of every request")
    parser.add_argument("--pid", type=int, help="the running server's process id, for its memory")
    args = parser.parse_args(argv)

    served = None
    url, pid = args.url, args.pid
    if url is None:
        log = Path(tempfile.mkdtemp(prefix="safecoder-soak-")) / "serve.log"
        served = start_serve(args.serve_args.split(), log)
        url, pid = served.url, served.process.pid
        print(f"soak: serving at {url} (log {log})", flush=True)
    try:
        report = asyncio.run(soak(url, args.clients, args.minutes, args.max_tokens, pid, args.warmup_s))
    finally:
        exit_code = served.stop() if served is not None else None
    print(report.text())
    if exit_code is not None:
        print(f"server exit code after SIGTERM: {exit_code}")
    if args.json:
        args.json.write_text(json.dumps({**asdict(report), "rss_growth": report.rss_growth,
                                         "server_exit_code": exit_code}, indent=2))
    # uvicorn drains, then re-raises the SIGTERM it caught: -15 is its clean exit.
    return 0 if report.errors == 0 and exit_code in (None, 0, -signal.SIGTERM) else 1


if __name__ == "__main__":
    sys.exit(main())
