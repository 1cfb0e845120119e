"""`make bench-adapter`: how to serve a LoRA adapter on llama.cpp, measured side by side.

Two ways serve an adapter trained here on a GGUF-only base:
- `runtime LoRA`: the base's own GGUF with the adapter applied by llama.cpp at run time
  (`safecoder.models.lora_gguf`), the way every benchmark of the adapter was measured;
- `merged`: the adapter merged into the de-quantized base and written as one GGUF
  (`safecoder.models.gguf_export`), re-quantized to `q8_0` and `q4_k_m`.

For each, and for the base alone, one llama.cpp engine is loaded (same threads, same
KV cache, same parallel sequences) and measured in interleaved rounds, so the machine's
noise falls on every row alike:
- single-stream decoding: greedy completions of chat prompts, one at a time (tokens/s);
- concurrent decoding: all prompts at once (completion tokens/s of wall time);
- prompt processing: one prompt of about `--long-prompt-tokens` tokens, one new token
  (prompt tokens/s; every round's prompt starts with a new line, so no cache helps).
Also reported: each engine's load time, the one-time preparation (LoRA GGUF conversion,
or merge + convert + quantize), the GGUF bytes loaded, and the share of greedy
completions identical to the runtime LoRA's (how exactly each path reproduces the model
that was evaluated). With `--reference-adapter` (the trainer's float32 adapter), a
`runtime LoRA (reference)` row shows whether the shipped float16 copy generates the same.

    python -m safecoder.models.adapter_bench                  # the shipped model, 3 rounds
    python -m safecoder.models.adapter_bench --adapter runs/x/final --reference-adapter ...

Results go to the terminal (a table) and as JSON to `SAFECODER_HOME/bench/`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

TASKS = (
    "Write a Python function that returns the n-th Fibonacci number iteratively.",
    "Write a Python function that reads a JSON file and returns the value under a given key.",
    "Write a C function that copies a string into a fixed-size buffer safely.",
    "Write a Flask route that returns the user whose id is given in the query string, from SQLite.",
    "Write a JavaScript function that checks whether a string is a palindrome.",
    "Write a Python function that runs `ls` on a directory given by the user and returns the output.",
    "Write a Go function that sums the integers in a slice.",
    "Write a Python function that saves an uploaded file into an uploads directory.",
)


@dataclass
class Variant:
    label: str
    adapter: Path | None  # None: the base alone
    gguf: Path | None = None  # a merged GGUF served instead of base + runtime LoRA
    preparation_s: float | None = None
    gguf_bytes: int = 0
    load_s: float = 0.0
    single_tps: list[float] = field(default_factory=list)
    concurrent_tps: list[float] = field(default_factory=list)
    prefill_tps: list[float] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecoder.models.adapter_bench",
                                     description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--adapter", default=None, help="a PEFT adapter folder (default: the shipped model's)")
    parser.add_argument("--reference-adapter", default=None,
                        help="another copy of the same adapter (e.g. the trainer's float32 one), served by runtime LoRA")
    parser.add_argument("--merged", nargs="*", default=["q8_0", "q4_k_m"], help="merged GGUF types to measure")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--long-prompt-tokens", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: every usable core)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.max_tokens < 1:
        parser.error("--rounds and --max-tokens must be at least 1")

    from safecoder.models import shipped

    if args.adapter is None:
        model = shipped.for_default_model()
        if model is None:
            parser.error("no shipped model for the default base; pass --adapter FOLDER")
        model.verify()
        adapter = model.adapter_dir
    else:
        adapter = Path(args.adapter)
    variants = [Variant("base (no adapter)", None), Variant("runtime LoRA", adapter)]
    if args.reference_adapter:
        variants.append(Variant("runtime LoRA (reference adapter)", Path(args.reference_adapter)))
    for gguf_type in args.merged:
        variants.append(Variant(f"merged {gguf_type}", adapter))
    progress = _Progress()
    _prepare(variants, args.merged, progress)
    asyncio.run(_measure(variants, args, progress))
    _report(variants, args)
    return 0


class _Progress:
    def __call__(self, message: str) -> None:
        print(f"[bench-adapter] {message}", file=sys.stderr, flush=True)


def _prepare(variants: list[Variant], merged_types: list[str], progress: _Progress) -> None:
    """Convert what each path needs once (cached), timing it where this run does the work."""
    from safecoder.models import resolve
    from safecoder.models.gguf_export import ExportConfig, export_gguf
    from safecoder.models.lora_gguf import adapter_hash, ensure_lora_gguf
    from safecoder.paths import models_cache

    for variant in variants:
        if variant.adapter is None or variant.label.startswith("merged"):
            continue
        cached = (models_cache() / f"lora-{adapter_hash(variant.adapter)}.gguf").is_file()
        started = time.perf_counter()
        path = ensure_lora_gguf(variant.adapter, resolve(str(variant.adapter)).require_weights())
        variant.preparation_s = None if cached else time.perf_counter() - started
        variant.gguf_bytes = path.stat().st_size
    merged = [v for v in variants if v.label.startswith("merged")]
    if not merged:
        return
    adapter = merged[0].adapter
    assert adapter is not None
    folder = models_cache() / f"merged-{adapter_hash(adapter)}"
    wanted = {t: folder / f"{adapter.name}.{t}.gguf" for t in merged_types}
    missing = [t for t, path in wanted.items() if not path.is_file()]
    spent = None
    if missing:
        progress(f"merging the adapter and writing {', '.join(missing)} (once, cached in {folder})")
        started = time.perf_counter()
        export_gguf(str(adapter), ExportConfig(types=tuple(missing), output_dir=folder, record=False), progress=True)
        spent = time.perf_counter() - started
    for variant, gguf_type in zip(merged, merged_types, strict=True):
        variant.gguf = wanted[gguf_type]
        variant.gguf_bytes = variant.gguf.stat().st_size
        variant.preparation_s = spent if gguf_type in missing else None


async def _measure(variants: list[Variant], args: argparse.Namespace, progress: _Progress) -> None:
    from safecoder.engines import create_engine
    from safecoder.engines.base import GenerationRequest, SamplingParams
    from safecoder.models import resolve

    threads = args.threads or len(os.sched_getaffinity(0))
    options = {"threads": threads, "parallel_sequences": len(TASKS), "kv_cache_tokens": 8192}
    engines = []
    for variant in variants:
        started = time.perf_counter()
        model = resolve(str(variant.adapter) if variant.adapter else _base_of(variants))
        if variant.adapter is None:
            variant.gguf_bytes = Path(model.gguf or "").stat().st_size if model.gguf else 0
        engine = create_engine("llama", model, **options, **({"gguf": str(variant.gguf)} if variant.gguf else {}))
        await engine.start()
        variant.load_s = time.perf_counter() - started
        engines.append(engine)
        progress(f"loaded {variant.label} in {variant.load_s:.1f} s")
    prompts = [engines[0].apply_chat_template([{"role": "user", "content": task}]) for task in TASKS]
    greedy = SamplingParams(max_new_tokens=args.max_tokens, temperature=0.0)
    filler = Path(__file__).read_text(encoding="utf-8")
    try:
        for round_index in range(args.rounds):
            for variant, engine in zip(variants, engines, strict=True):
                progress(f"round {round_index + 1}/{args.rounds}: {variant.label}")
                tokens, started = 0, time.perf_counter()
                texts = []
                for prompt in prompts[:4]:
                    result = await engine.generate(GenerationRequest(prompt, greedy))
                    tokens += result.completion_tokens
                    texts.append(result.texts[0])
                variant.single_tps.append(tokens / (time.perf_counter() - started))
                started = time.perf_counter()
                results = await asyncio.gather(*(engine.generate(GenerationRequest(p, greedy)) for p in prompts))
                variant.concurrent_tps.append(sum(r.completion_tokens for r in results) / (time.perf_counter() - started))
                if round_index == 0:
                    variant.texts = [r.texts[0] for r in results]
                long_prompt = _long_prompt(engine, filler, args.long_prompt_tokens, f"{round_index}-{variant.label}")
                started = time.perf_counter()
                result = await engine.generate(GenerationRequest(long_prompt, SamplingParams(max_new_tokens=1)))
                variant.prefill_tps.append(result.prompt_tokens / (time.perf_counter() - started))
    finally:
        for engine in engines:
            await engine.close()


def _base_of(variants: list[Variant]) -> str:
    """The packaged base the adapters were trained on (their `safecoder-base.json`)."""
    adapter = next(v.adapter for v in variants if v.adapter is not None)
    assert adapter is not None
    return json.loads((adapter / "safecoder-base.json").read_text(encoding="utf-8"))["base_model"]


def _long_prompt(engine, filler: str, tokens: int, tag: str) -> str:
    text = f"# {tag}: a fresh first line, so no prompt cache applies\n"
    while engine.count_tokens(text) < tokens:
        text += filler
    # Trim to about the wanted length by characters (the ratio of this file's text).
    ratio = len(text) / max(1, engine.count_tokens(text))
    return text[: int(tokens * ratio)]


def _report(variants: list[Variant], args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    from safecoder import paths
    from safecoder.atomic import write_json
    from safecoder.hashing import code_version

    reference = next(v for v in variants if v.label == "runtime LoRA")
    base = variants[0]
    table = Table(title=f"Serving the adapter on llama.cpp: medians of {args.rounds} interleaved rounds "
                        f"({len(TASKS)} prompts, {args.max_tokens} greedy tokens)")
    for column in ("path", "GGUF MB", "prepare s (once)", "load s", "1 stream tok/s", f"{len(TASKS)} streams tok/s",
                   "prompt tok/s", "vs base (8 streams)", "same text as runtime LoRA"):
        table.add_column(column, justify="left" if column == "path" else "right")
    rows = []
    for variant in variants:
        single, concurrent, prefill = (statistics.median(x) for x in
                                       (variant.single_tps, variant.concurrent_tps, variant.prefill_tps))
        same = sum(a == b for a, b in zip(variant.texts, reference.texts, strict=True)) / len(reference.texts)
        ratio = concurrent / statistics.median(base.concurrent_tps)
        rows.append({**{k: v for k, v in asdict(variant).items() if k != "texts"},
                     "adapter": str(variant.adapter) if variant.adapter else None,
                     "gguf": str(variant.gguf) if variant.gguf else None,
                     "single_tps_median": single, "concurrent_tps_median": concurrent,
                     "prefill_tps_median": prefill, "same_text_as_runtime_lora": same, "concurrent_vs_base": ratio})
        table.add_row(variant.label, f"{variant.gguf_bytes / 1e6:.0f}",
                      "cached" if variant.preparation_s is None else f"{variant.preparation_s:.0f}",
                      f"{variant.load_s:.1f}", f"{single:.1f}", f"{concurrent:.1f}", f"{prefill:.0f}",
                      f"{ratio:.2f}x", "-" if variant is base and variant is not reference else f"{same:.0%}")
    Console().print(table)
    out = paths.home() / "bench" / f"adapter-serving-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, {"code_version": code_version(), "rounds": args.rounds, "max_tokens": args.max_tokens,
                     "long_prompt_tokens": args.long_prompt_tokens, "rows": rows})
    print(f"written: {out}")


if __name__ == "__main__":
    raise SystemExit(main())
