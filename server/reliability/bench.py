"""`make bench-reliability`: the fuzzers with their full budget, a short soak, SIGTERM.

    python -m safecoder.server.reliability.bench                        # 10,000 HTTP + 10,000 LSP messages
    python -m safecoder.server.reliability.bench --http 300 --lsp 300 --soak-minutes 0.5   # a quick check

Starts one `safecoder serve` on loopback (the small SmolLM2-135M unless `--model`, gate
`rerank`, answers capped at 8 tokens so the budget goes to inputs, not generation), then:
the hostile HTTP bodies, the schema fuzzer for the rest of the HTTP budget, the language
server (`safecoder lsp`, suggestions from that server) before `initialize` and fuzzed,
a soak at `--soak-clients` for `--soak-minutes`, the same number of editors typing into
their own language servers for `--lsp-soak-minutes`, and SIGTERM with the server's exit code.
Prints one line of counts per part (requests, 4xx, 5xx, crashes, hangs) and exits 1 if
any part had a 5xx, a crash, a hang or a soak error. The 10-minute soaks are
`python -m safecoder.server.reliability.soak` and `... .lsp_soak` (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
from pathlib import Path

from safecoder.server.reliability.http_fuzz import fuzz_hostile, fuzz_schema
from safecoder.server.reliability.lsp_fuzz import fuzz_session, probe_before_initialize
from safecoder.server.reliability.lsp_soak import lsp_soak
from safecoder.server.reliability.soak import soak
from safecoder.server.reliability.spawn import start_serve
from safecoder.server.reliability.tally import Tally

MAX_REQUEST_BYTES = 100_000


def serve_args(model: str) -> list[str]:
    return ["--model", model, "--engine", "transformers", "--gate", "rerank", "--gate-candidates", "2",
            "--max-tokens-limit", "8", "--max-n", "2", "--max-request-bytes", str(MAX_REQUEST_BYTES),
            "--max-concurrent", "4", "--max-queue", "64"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--http", type=int, default=10_000, help="HTTP requests in all (hostile ones included)")
    parser.add_argument("--lsp", type=int, default=10_000, help="LSP messages")
    parser.add_argument("--soak-minutes", type=float, default=1.0)
    parser.add_argument("--soak-clients", type=int, default=16)
    parser.add_argument("--lsp-soak-minutes", type=float, default=1.0)
    parser.add_argument("--model", default="smollm2-135m", help="model served (a small one: the budget is inputs)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    log = Path(tempfile.mkdtemp(prefix="safecoder-reliability-")) / "serve.log"
    served = start_serve(serve_args(args.model), log)
    print(f"serving {args.model} at {served.url} (log {log})", flush=True)
    tallies: list[Tally] = []
    soak_errors = 0
    try:
        hostile = fuzz_hostile(served.url, MAX_REQUEST_BYTES)
        rounds = 1
        while hostile.clean and hostile.requests * (rounds + 1) <= args.http // 5:  # at most a fifth hostile
            more = fuzz_hostile(served.url, MAX_REQUEST_BYTES)
            hostile.add(more)
            rounds += 1
        tallies.append(hostile)
        print(hostile.line(), flush=True)
        schema = fuzz_schema(served.url, max(0, args.http - hostile.requests), seed=args.seed)
        tallies.append(schema)
        print(schema.line(), flush=True)
        lsp_command = [sys.executable, "-m", "safecoder.server.lsp", "--no-preload", "--server-url", served.url,
                       "--completion-debounce-ms", "0"]
        early = asyncio.run(probe_before_initialize(lsp_command))
        tallies.append(early)
        print(early.line(), flush=True)
        lsp = asyncio.run(fuzz_session(lsp_command, args.lsp, seed=args.seed))
        tallies.append(lsp)
        print(lsp.line(), flush=True)
        if args.soak_minutes > 0:
            soak_report = asyncio.run(soak(served.url, args.soak_clients, args.soak_minutes, max_tokens=8,
                                           pid=served.process.pid, warmup_s=10))
            print(soak_report.text(), flush=True)
            soak_errors += soak_report.errors
        if args.lsp_soak_minutes > 0:
            editors_report, exit_codes = asyncio.run(lsp_soak(served.url, args.soak_clients, args.lsp_soak_minutes,
                                                              warmup_s=10))
            print(editors_report.text(), flush=True)
            print(f"language servers' exit codes after shutdown and exit: {sorted(set(exit_codes), key=str)}")
            soak_errors += editors_report.errors + sum(1 for code in exit_codes if code != 0)
    finally:
        exit_code = served.stop()
    print(f"SIGTERM: the server exited with {exit_code}")
    for tally in tallies:
        for failure in tally.failures:
            print(f"  {tally.name}: {failure}")
    total = Tally("total")
    for tally in tallies:
        total.add(tally)
    print(total.line())
    # uvicorn drains, then re-raises the SIGTERM it caught: -15 is its clean exit.
    failed = not total.clean or exit_code not in (0, -signal.SIGTERM) or soak_errors > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
