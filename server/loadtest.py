"""`make bench-serve`: the server under load beside the bare engine, for every engine kind here.

For each engine kind installed on the machine (`transformers`, `vllm`, and `llama` once its
module exists), one engine is loaded and measured three ways, side by side in one run,
at each concurrency level (default 1, 4, 16):

- `engine (direct)`: `engine.stream(...)` called in process, no HTTP;
- `server, gate off`: the same engine behind the server (uvicorn on loopback, streamed
  `/v1/completions` requests through httpx), the gate switched off per request;
- `server, gate rerank`: the same, with the security gate in `rerank` mode.

Prompts are the security scenarios' code prompts (`../shared/data/sec_eval`, file context
plus the function's head), completed greedily with `--max-tokens` tokens, so every path
generates the same tokens. The paths are interleaved over `--rounds` rounds to spread the
machine's noise evenly. Reported: throughput (completion tokens per second of wall time),
p50/p95 request latency, p50 time to first byte (any byte of the answer: in the gate's
held modes that is the first SSE keep-alive comment, sent while the gate still works) and
p50 time to first token (the first text), the server's throughput as a share of
the engine's and its added p50 latency (goals: at least 95%, at most 15 ms), and the gate's
added p50 latency (gate rerank minus gate off). Results and the effective settings are
also written as JSON under `SAFECODER_HOME/bench/`.

Two more measurements, in the same run:

- `single stream vs the library's best thread count` (llama.cpp): the library called
  directly at each thread count from 1 to the usable cores (rows `llama.cpp (direct
  library, N threads)`, concurrency 1 only, in the same interleaved rounds); the server's
  single-stream tokens/s (gate off) is reported against the fastest of them (goal: at
  least 0.95x). The `(direct library)` row itself runs at the engine's thread count.
- `second keystroke`: `--keystroke-rounds` files of about `--keystroke-tokens` prompt
  tokens (the scenarios' code, with a distinct first line so no two share a prefix),
  each completed twice, the second time with one more character typed, through the
  engine and through the server (gate off); p50 time to first token of the first and of
  the second request and their ratio (goal: at most 0.20, which needs the engine's
  prompt cache).

Hook for direct library baselines: `DIRECT_BASELINES` maps an engine kind to a function
`(model: ResolvedModel, settings: LoadSettings) -> DirectRunner | None`. A `DirectRunner`
has `async run(prompt: str, max_tokens: int) -> Sample` (one greedy completion, streamed,
timed with `time.perf_counter`) and `async close()`. When the function returns a runner,
its rows appear under the runner's `label` (by convention ending in "(direct library)")
beside that kind's engine rows, measured in the same interleaved rounds. Register one with `register_direct_baseline("llama", factory)`
at the end of this module (the llama.cpp engine's "llama.cpp called directly" row, `LlamaCppDirect`).

Not a capacity planner: one client process on loopback, the client and the server share
the machine (and, with uvicorn in a thread, the Python interpreter), so the server's
overhead reads on the high side.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

from safecoder.models.reference import ResolvedModel

if TYPE_CHECKING:
    from llama_cpp.llama_types import CreateCompletionStreamResponse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadSettings:
    concurrency: tuple[int, ...] = (1, 4, 16)
    max_tokens: int = 32
    requests_per_worker: int = 2
    min_requests: int = 8
    rounds: int = 2
    prompts: int = 16
    model: str = "default"
    engines: tuple[str, ...] = ()
    engine_options: dict[str, list[str]] = field(default_factory=dict)
    keystroke_rounds: int = 3
    keystroke_tokens: int = 2000
    thread_sweep: bool = True

    def requests_at(self, concurrency: int) -> int:
        return max(self.min_requests, concurrency * self.requests_per_worker)


@dataclass(frozen=True)
class Sample:
    latency_s: float
    ttft_s: float
    tokens: int
    ok: bool = True
    actions: tuple[str, ...] = ()  # the gate's verdicts, through the server
    ttfb_s: float | None = None  # time to the first byte; None: the same as ttft_s (no HTTP in between)

    @property
    def first_byte_s(self) -> float:
        return self.ttft_s if self.ttfb_s is None else self.ttfb_s


class DirectRunner(Protocol):
    label: str

    async def run(self, prompt: str, max_tokens: int) -> Sample: ...

    async def close(self) -> None: ...


DirectBaseline = Callable[[ResolvedModel, LoadSettings], "DirectRunner | None"]
DIRECT_BASELINES: dict[str, DirectBaseline] = {}


def register_direct_baseline(kind: str, factory: DirectBaseline) -> None:
    """Add a "library called directly" row for engine `kind` (see the module docstring)."""
    DIRECT_BASELINES[kind] = factory


@dataclass
class Row:
    engine: str
    path: str
    concurrency: int
    samples: list[Sample] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def tokens_per_s(self) -> float:
        return sum(s.tokens for s in self.samples if s.ok) / self.wall_s if self.wall_s else 0.0

    def latency(self, q: float) -> float:
        return _quantile([s.latency_s for s in self.samples if s.ok], q)

    def ttft(self, q: float) -> float:
        return _quantile([s.ttft_s for s in self.samples if s.ok], q)

    def ttfb(self, q: float) -> float:
        return _quantile([s.first_byte_s for s in self.samples if s.ok], q)

    @property
    def failures(self) -> int:
        return sum(1 for s in self.samples if not s.ok)

    def verdicts(self) -> str:
        """Counts of passed/reranked/annotated/blocked/unchecked choices ("" without a gate)."""
        actions = [a for s in self.samples for a in s.actions]
        if not actions or self.path.endswith("gate off"):
            return ""
        return "/".join(str(actions.count(a)) for a in ("passed", "reranked", "annotated", "blocked", "unchecked"))


# ----- the three paths -------------------------------------------------------------------
class EngineRunner:
    label = "engine (direct)"

    def __init__(self, engine):
        self.engine = engine

    async def run(self, prompt: str, max_tokens: int) -> Sample:
        from safecoder.engines import GenerationRequest, SamplingParams

        started = time.perf_counter()
        first, tokens = None, 0
        async for delta in self.engine.stream(GenerationRequest(prompt, SamplingParams(max_new_tokens=max_tokens))):
            if delta.text and first is None:
                first = time.perf_counter()
            if delta.finish_reason is not None:
                tokens = delta.token_count
        ended = time.perf_counter()
        return Sample(ended - started, (first or ended) - started, tokens)

    async def close(self) -> None:
        pass


class ServerRunner:
    def __init__(self, url: str, gate: str, client, model: str):
        self.url, self.gate, self.client, self.model = url, gate, client, model
        self.label = f"server, gate {gate}"

    async def run(self, prompt: str, max_tokens: int) -> Sample:
        body = {"model": self.model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": True,
                "stream_options": {"include_usage": True}, "safecoder": {"gate": self.gate}}
        started = time.perf_counter()
        first, first_byte, tokens, ok, actions = None, None, 0, True, []
        async with self.client.stream("POST", f"{self.url}/v1/completions", json=body) as response:
            if response.status_code != 200:
                await response.aread()
                return Sample(time.perf_counter() - started, 0.0, 0, ok=False)
            async for line in response.aiter_lines():
                if first_byte is None and line:
                    first_byte = time.perf_counter()  # a keep-alive comment counts: the client sees life
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                if "error" in chunk:
                    ok = False
                elif chunk.get("usage"):
                    tokens = chunk["usage"]["completion_tokens"]
                else:
                    choices = chunk.get("choices", ())
                    if first is None and any(c.get("text") for c in choices):
                        first = time.perf_counter()
                    actions.extend(c["safecoder"]["action"] for c in choices if c.get("safecoder"))
        ended = time.perf_counter()
        return Sample(ended - started, (first or ended) - started, tokens, ok, tuple(actions),
                      (first_byte or ended) - started)

    async def close(self) -> None:
        pass


class BenchServer:
    """The server in front of an engine that is already loaded, on loopback in a thread."""

    def __init__(self, engine, reference: str):
        import uvicorn

        from safecoder.server.access import KeyRing
        from safecoder.server.app import create_app
        from safecoder.server.config import ServerConfig

        config = ServerConfig(port=0, gate="rerank", rate_limit_rpm=0, max_concurrent=64, max_queue=256,
                              log_level="warning")
        self.app = create_app(config, KeyRing([], 0), reference=reference,
                              engine_factory=lambda kind, model, **options: engine)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning",
                                                    access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, name="bench-server", daemon=True)

    def start(self) -> str:
        self.thread.start()
        state = self.app.app.state.safecoder
        while not self.server.started or state.status == "loading":
            if not self.thread.is_alive():
                raise RuntimeError("the bench server stopped while starting")
            time.sleep(0.05)
        if state.status != "ok":
            raise RuntimeError(f"the bench server could not load the engine: {state.error}")
        return f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=120)


# ----- load --------------------------------------------------------------------------------
async def drive(run: Callable[[str, int], Awaitable[Sample]], prompts: list[str], concurrency: int,
                total: int, max_tokens: int) -> tuple[list[Sample], float]:
    """`total` requests from `concurrency` workers; (samples, wall seconds)."""
    next_index = 0
    samples: list[Sample] = []

    async def worker() -> None:
        nonlocal next_index
        while next_index < total:
            prompt = prompts[next_index % len(prompts)]
            next_index += 1
            try:
                samples.append(await run(prompt, max_tokens))
            except Exception:  # a failed request is counted, not fatal to the benchmark
                samples.append(Sample(0.0, 0.0, 0, ok=False))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples, time.perf_counter() - started


def load_prompts(count: int) -> list[str]:
    from safecoder.data.scenarios import load_scenarios
    from safecoder.paths import shared_data_dir

    data = shared_data_dir()
    if data is None:
        from safecoder.errors import SafeCoderError

        raise SafeCoderError("the shared data (../shared/data) was not found; set SAFECODER_SHARED_DATA")
    scenarios = sorted(load_scenarios(data / "sec_eval"), key=lambda s: s.id)
    # Short prompts first keeps the run about serving, not about prefilling long files.
    scenarios.sort(key=lambda s: len(s.prompt_code))
    return [s.prompt_code for s in scenarios[:count]]


@dataclass
class KeystrokeRow:
    """Time to first token of a file's first completion and of the next keystroke's."""

    engine: str
    path: str
    prompt_tokens: int
    first_s: list[float] = field(default_factory=list)
    second_s: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        first = statistics.median(self.first_s) if self.first_s else float("nan")
        return statistics.median(self.second_s) / first if self.second_s and first else float("nan")


def keystroke_files(prompts: list[str], count_tokens: Callable[[str], int], tokens: int, count: int,
                    tag: str) -> list[str]:
    """`count` files of about `tokens` prompt tokens, each with its own first line."""
    files = []
    for number in range(count):
        lines = [f"# {tag}: file {number} of the second-keystroke test"]
        source = [line for prompt in prompts for line in prompt.splitlines()]
        index = number * 7
        while count_tokens("\n".join(lines)) < tokens:
            lines.extend(source[index % len(source): index % len(source) + 20])
            index += 20
        files.append("\n".join(lines) + "\n")
    return files


async def measure_keystrokes(engine_kind: str, runner, files: list[str], count_tokens) -> KeystrokeRow:
    row = KeystrokeRow(engine_kind, runner.label, round(statistics.mean(count_tokens(f) for f in files)))
    for text in files:
        first = await runner.run(text, 4)
        second = await runner.run(text + "    r", 4)
        if first.ok and second.ok:
            row.first_s.append(first.ttft_s)
            row.second_s.append(second.ttft_s)
    return row


def _thread_sweep(kind: str, model: ResolvedModel, baseline) -> list:
    """The library called directly at every thread count (llama.cpp only), on the baseline's file."""
    if kind != "llama" or not isinstance(baseline, LlamaCppDirect):
        return []
    runners = []
    for threads in range(1, len(os.sched_getaffinity(0)) + 1):
        runner = LlamaCppDirect(dataclasses.replace(model, gguf=baseline.gguf), threads)
        runner.label = f"llama.cpp (direct library, {threads} threads)"
        runners.append(runner)
    return runners


def bench_engine(kind: str, settings: LoadSettings, prompts: list[str], progress
                 ) -> tuple[list[Row], list[KeystrokeRow]]:
    import httpx

    from safecoder.engines import create_engine
    from safecoder.engines.base import run_sync
    from safecoder.models import resolve
    from safecoder.server.config import ServerConfig

    model = resolve(settings.model)
    options = ServerConfig(engine_option=settings.engine_options.get(kind, [])).engine_options()
    progress(f"{kind}: loading the engine")
    engine = create_engine(kind, model, **options)
    baseline_factory = DIRECT_BASELINES.get(kind)
    baseline_settings = settings
    threads = engine.describe().get("threads")
    if threads and "threads" not in options:  # the baseline runs at the engine's (measured) thread count
        baseline_settings = dataclasses.replace(settings, engine_options={
            **settings.engine_options, kind: [*settings.engine_options.get(kind, []), f"threads={threads}"]})
    baseline = baseline_factory(model, baseline_settings) if baseline_factory else None
    sweep = _thread_sweep(kind, model, baseline) if settings.thread_sweep and 1 in settings.concurrency else []
    server = BenchServer(engine, settings.model)
    url = server.start()
    rows: list[Row] = []
    keystrokes: list[KeystrokeRow] = []

    async def measure() -> None:
        async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=256)) as client:
            runners = [EngineRunner(engine), ServerRunner(url, "off", client, settings.model),
                       ServerRunner(url, "rerank", client, settings.model)]
            if baseline is not None:
                runners.insert(0, baseline)
            for runner in [*runners, *sweep]:  # warm-up: first-request costs stay out of the table
                await runner.run(prompts[0], 4)
            for concurrency in settings.concurrency:
                measured = [*runners, *sweep] if concurrency == 1 else runners
                level = {r.label: Row(kind, r.label, concurrency) for r in measured}
                total = settings.requests_at(concurrency)
                for round_number in range(settings.rounds):
                    for runner in measured:
                        progress(f"{kind}: {runner.label}, concurrency {concurrency}, round {round_number + 1}")
                        samples, wall = await drive(runner.run, prompts, concurrency, total, settings.max_tokens)
                        level[runner.label].samples.extend(samples)
                        level[runner.label].wall_s += wall
                rows.extend(level.values())
            for runner in [*sweep, *([baseline] if baseline is not None else [])]:
                await runner.close()
            if settings.keystroke_rounds:
                for runner in runners[-3:-1]:  # the engine, and the server with the gate off
                    progress(f"{kind}: {runner.label}, second keystroke on {settings.keystroke_tokens}-token files")
                    files = keystroke_files(prompts, engine.count_tokens, settings.keystroke_tokens,
                                            settings.keystroke_rounds, runner.label)
                    keystrokes.append(await measure_keystrokes(kind, runner, files, engine.count_tokens))

    try:
        run_sync(measure())
    finally:
        server.stop()  # closes the engine too
    return rows, keystrokes


# ----- report ------------------------------------------------------------------------------
def report(rows: list[Row], keystrokes: Sequence[KeystrokeRow] = ()) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Serving load test (loopback, greedy code completions, streamed)")
    for column in ("engine", "path", "conc.", "req.", "tok/s", "p50 ms", "p95 ms", "TTFB p50 ms", "TTFT p50 ms",
                   "tok/s vs engine", "p50 vs engine ms", "gate adds p50 ms", "verdicts p/r/a/b/u"):
        table.add_column(column, justify="left" if column in ("engine", "path") else "right")
    for row in rows:
        engine_row = _find(rows, row.engine, "engine (direct)", row.concurrency)
        off_row = _find(rows, row.engine, "server, gate off", row.concurrency)
        share = delta = gate = ""
        if row.path.startswith("server") and engine_row:
            share = f"{100 * row.tokens_per_s / engine_row.tokens_per_s:.1f}%" if engine_row.tokens_per_s else "-"
            delta = f"{1000 * (row.latency(0.5) - engine_row.latency(0.5)):+.1f}"
        if row.path == "server, gate rerank" and off_row:
            gate = f"{1000 * (row.latency(0.5) - off_row.latency(0.5)):+.1f}"
        failures = f" ({row.failures} failed)" if row.failures else ""
        table.add_row(row.engine, row.path, str(row.concurrency), f"{len(row.samples)}{failures}",
                      f"{row.tokens_per_s:.1f}", f"{1000 * row.latency(0.5):.0f}", f"{1000 * row.latency(0.95):.0f}",
                      f"{1000 * row.ttfb(0.5):.0f}", f"{1000 * row.ttft(0.5):.0f}", share, delta, gate, row.verdicts())
    Console(width=max(180, Console().width)).print(table)
    for row in rows:
        server_row = _find(rows, row.engine, "server, gate off", row.concurrency)
        if row.path.endswith("(direct library)") and server_row and row.tokens_per_s:
            print(f"{row.engine}, concurrency {row.concurrency}: the server (gate off) decodes "
                  f"{100 * server_row.tokens_per_s / row.tokens_per_s:.0f}% as fast as {row.path}")
    for engine in dict.fromkeys(r.engine for r in rows):
        sweep = [r for r in rows if r.engine == engine and r.concurrency == 1 and r.path.endswith(" threads)")]
        server_row = _find(rows, engine, "server, gate off", 1)
        if sweep and server_row:
            best = max(sweep, key=lambda r: r.tokens_per_s)
            print(f"{engine}, single stream: the server (gate off) decodes {server_row.tokens_per_s:.1f} tokens/s, "
                  f"{server_row.tokens_per_s / best.tokens_per_s:.2f}x the library at its best thread count "
                  f"({best.path}: {best.tokens_per_s:.1f}; by count: "
                  f"{', '.join(f'{r.tokens_per_s:.1f}' for r in sweep)}) (goal >= 0.95x)")
    for row in keystrokes:
        print(f"{row.engine}, {row.path}: second keystroke on a {row.prompt_tokens}-token file: time to first token "
              f"{1000 * statistics.median(row.first_s):.0f} ms, then {1000 * statistics.median(row.second_s):.0f} ms "
              f"(p50 of {len(row.second_s)}): {row.ratio:.3f}x the first (goal <= 0.20x)")
    print("Goals: the server keeps >= 95% of the engine's tokens/s and adds <= 15 ms to its median latency "
          "(rows 'server, gate off'); 'gate adds' is what the security gate adds on top, extra candidates "
          "included (verdicts: passed/reranked/annotated/blocked/unchecked choices).")


def _find(rows: list[Row], engine: str, path: str, concurrency: int) -> Row | None:
    return next((r for r in rows if (r.engine, r.path, r.concurrency) == (engine, path, concurrency)), None)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(sorted(values), n=100, method="inclusive")[max(0, min(98, round(q * 100) - 1))]


def available_kinds() -> list[str]:
    from safecoder.engines import ENGINE_CLASSES, available

    return [kind for kind in ENGINE_CLASSES if available(kind)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecoder.server.loadtest", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", default=None, help="engine kinds (default: every one installed)")
    parser.add_argument("--concurrency", nargs="+", type=int, default=[1, 4, 16])
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--requests-per-worker", type=int, default=2)
    parser.add_argument("--min-requests", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--model", default="default")
    parser.add_argument("--keystroke-rounds", type=int, default=3,
                        help="files for the second-keystroke measurement (0: skip it)")
    parser.add_argument("--keystroke-tokens", type=int, default=2000, help="prompt tokens of each of those files")
    parser.add_argument("--no-thread-sweep", action="store_true",
                        help="skip the llama.cpp library at every thread count (concurrency 1)")
    parser.add_argument("--engine-option", action="append", default=[], metavar="KIND:KEY=VALUE",
                        help="an engine option for one kind, e.g. vllm:kv_cache_gib=2 (repeatable)")
    args = parser.parse_args(argv)
    # vLLM logs to stdout at INFO, which would bury the table.
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    engine_options: dict[str, list[str]] = {"vllm": ["kv_cache_gib=2"]}
    for option in args.engine_option:
        kind, separator, value = option.partition(":")
        if not separator:
            parser.error(f"--engine-option {option!r} needs the form KIND:KEY=VALUE")
        engine_options.setdefault(kind, []).append(value)
    kinds = args.engines or available_kinds()
    settings = LoadSettings(tuple(args.concurrency), args.max_tokens, args.requests_per_worker, args.min_requests,
                            args.rounds, args.prompts, args.model, tuple(kinds), engine_options,
                            args.keystroke_rounds, args.keystroke_tokens, not args.no_thread_sweep)
    prompts = load_prompts(settings.prompts)

    def progress(message: str) -> None:
        print(f"[bench-serve] {message}", file=sys.stderr, flush=True)

    rows: list[Row] = []
    keystrokes: list[KeystrokeRow] = []
    for kind in kinds:
        engine_rows, engine_keystrokes = bench_engine(kind, settings, prompts, progress)
        rows.extend(engine_rows)
        keystrokes.extend(engine_keystrokes)
    report(rows, keystrokes)
    _save(settings, rows, keystrokes)
    return 0


def _save(settings: LoadSettings, rows: list[Row], keystrokes: Sequence[KeystrokeRow] = ()) -> None:
    from datetime import datetime, timezone

    from safecoder import paths
    from safecoder.atomic import write_json
    from safecoder.hashing import code_version

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = paths.home() / "bench" / f"serve-{stamp}.json"
    write_json(target, {
        "settings": asdict(settings), "code_version": code_version(),
        "rows": [{"engine": r.engine, "path": r.path, "concurrency": r.concurrency, "requests": len(r.samples),
                  "failures": r.failures, "verdicts": r.verdicts(), "tokens_per_s": r.tokens_per_s, "p50_s": r.latency(0.5),
                  "p95_s": r.latency(0.95), "ttfb_p50_s": r.ttfb(0.5), "ttft_p50_s": r.ttft(0.5)} for r in rows],
        "second_keystroke": [{**asdict(k), "ratio": k.ratio} for k in keystrokes],
    })
    print(f"results and settings: {target}")


# ----- llama.cpp called directly, as a user of `llama-cpp-python` would ---------------
# One `llama_cpp.Llama` on the same GGUF file with the same thread count, streaming greedy
# completions through `create_completion`. One `Llama` object holds one context and is not
# thread-safe, so concurrent requests take turns (as with one `Llama` in any
# application). The gap between this row and the server's rows is SafeCoder's own
# overhead; the goal is at least 90% of its tokens/s. Not used for serving.


class LlamaCppDirect:
    label = "llama.cpp (direct library)"

    def __init__(self, model: ResolvedModel, threads: int, context_tokens: int = 4096):
        from llama_cpp import Llama

        from safecoder.engines.llama_engine import _library

        _library()  # route llama.cpp's log into Python logging, as for the engine
        self.gguf = model.gguf
        self.threads = threads
        self._llm = Llama(str(model.gguf), n_ctx=context_tokens, n_threads=threads, n_threads_batch=threads,
                          verbose=False)
        self._turn: asyncio.Lock | None = None

    async def run(self, prompt: str, max_tokens: int):
        if self._turn is None:
            self._turn = asyncio.Lock()
        async with self._turn:
            return await asyncio.to_thread(self._complete, prompt, max_tokens)

    def _complete(self, prompt: str, max_tokens: int):
        started = time.perf_counter()
        first, tokens = None, 0
        # llama-cpp-python annotates create_completion as returning a response or a stream
        # whatever `stream` is; with stream=True it is always the stream of chunks.
        stream = cast("Iterator[CreateCompletionStreamResponse]",
                      self._llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, stream=True))
        for chunk in stream:
            if chunk["choices"][0]["text"]:
                tokens += 1  # the stream yields one chunk per generated token
                if first is None:
                    first = time.perf_counter()
        ended = time.perf_counter()
        return Sample(ended - started, (first or ended) - started, tokens)

    async def close(self) -> None:
        self._llm.close()


def llama_direct_baseline(model: ResolvedModel, settings) -> LlamaCppDirect | None:
    """The load test's factory: a runner on the model's GGUF, with the engine's thread count."""

    if model.gguf is None and not any(o.startswith("gguf=") for o in settings.engine_options.get("llama", [])):
        logger.warning("no GGUF file for %s: the llama.cpp direct baseline is skipped", model.reference)
        return None
    from pathlib import Path

    from safecoder.engines.llama_engine import default_threads

    threads = 0
    for option in getattr(settings, "engine_options", {}).get("llama", []):
        key, _, value = option.partition("=")
        if key.strip() == "threads":
            threads = int(value)
        elif key.strip() == "gguf":  # the engine serves another file; so does the baseline
            model = dataclasses.replace(model, gguf=Path(value.strip()))
    return LlamaCppDirect(model, threads or default_threads())


register_direct_baseline("llama", llama_direct_baseline)

if __name__ == "__main__":
    sys.exit(main())
