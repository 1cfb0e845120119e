"""`safecoder model ...`: resolve, prepare, time and try out models."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    model = subparsers.add_parser("model", help="resolve, prepare and try out models")
    commands = model.add_subparsers(dest="model_command", required=True)

    info = commands.add_parser("info", help="where a model reference resolves to")
    info.add_argument("reference", nargs="?", default="default")
    info.set_defaults(handler=_info)

    listing = commands.add_parser("list", help="the packaged models, where they come from, and whether they are installed")
    listing.set_defaults(handler=_list)

    prepare = commands.add_parser("prepare", help="make a model loadable (assemble, verify, convert a GGUF once)")
    prepare.add_argument("reference", nargs="?", default="default")
    prepare.add_argument("--force", action="store_true", help="convert the GGUF to transformers weights again")
    prepare.set_defaults(handler=_prepare)

    load_time = commands.add_parser(
        "load-time",
        help="time a packaged model's first conversion and its cached load",
        description="Converts the model's GGUF into a fresh temporary cache (the first-use cost), then "
        "loads the cached checkpoint the way every later start does, and prints both times.",
    )
    load_time.add_argument("--model", default="default", help="a packaged model (default: the served default)")
    load_time.add_argument("--repeats", type=int, default=3, help="cached loads to time (the median is shown)")
    load_time.set_defaults(handler=_load_time)

    ship = commands.add_parser(
        "ship", help="write a promoted registry adapter into the repository's shipped models (float16, with its manifest)",
        description="Writes safecoder/models/shipped/NAME/ (or SAFECODER_SHIPPED_MODELS/NAME/): the adapter in float16 "
        "and shipped.json (file hashes, config, data hashes, code version, evaluations, the gate's decision). "
        "`safecoder serve` registers it as production on first use where the registry has none.")
    ship.add_argument("reference", help="a registry version or alias (an adapter the promotion gate passed), or the "
                      "run folder it was trained in")
    ship.add_argument("--name", required=True, help="the shipped model's folder name, e.g. safecoder-qwen2.5-coder-0.5b")
    ship.add_argument("--rebuild", default="make rebuild-model", help="the command that rebuilds it (recorded)")
    ship.add_argument("--served", default=None, metavar="VERSION",
                      help="the registry version of the shipped artifact itself (registered from the shipped folder, "
                      "merged, measured and passed by the gate): its evaluation and decision are recorded")
    ship.add_argument("--unpromoted", action="store_true", help="ship a version the gate never passed (not the product)")
    ship.set_defaults(handler=_ship)

    generate = commands.add_parser("generate", help="generate from a prompt, streamed to the terminal")
    generate.add_argument("prompt", help="the task, wrapped in the instruction template unless --raw")
    generate.add_argument("--model", default="default")
    generate.add_argument("--engine", default="transformers")
    generate.add_argument("--raw", action="store_true", help="send the prompt as is, without a template")
    generate.add_argument("--chat", action="store_true", help="use the model's chat template")
    generate.add_argument("--max-new-tokens", type=int, default=256)
    generate.add_argument("--temperature", type=float, default=0.0)
    generate.add_argument("--top-p", type=float, default=1.0)
    generate.add_argument("--seed", type=int, default=None)
    generate.add_argument("--stop", action="append", default=[])
    generate.set_defaults(handler=_generate)


def _info(args: argparse.Namespace) -> int:
    from safecoder.models import resolve

    print(json.dumps(resolve(args.reference).describe(), indent=2))
    return 0


def _list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from safecoder.models import packaged

    table = Table(title="Packaged models (pinned in requirements/models.txt)")
    for column in ("reference", "model", "license", "GGUF sha256", "installed"):
        table.add_column(column)
    default = packaged.default_name()
    for model in packaged.CATALOG:
        try:
            for part in model.parts:
                packaged.part_path(part, model)
            installed = "yes"
        except packaged.PackagedModelError:
            installed = "no: run `make install`"
        name = f"{model.name} (default)" if model.name == default else model.name
        table.add_row(name, model.display_name, model.license, model.gguf_sha256[:16] + "...", installed)
    Console().print(table)
    for model in packaged.CATALOG:
        marker = " (default)" if model.name == default else ""
        print(f"- {model.name}{marker}: {model.credit}")
    from safecoder.models import shipped

    models = shipped.catalog()
    if models:
        table = Table(title=f"Shipped SafeCoder models ({shipped.catalog_dir()})")
        for column in ("name", "base", "made from", "gate", "files"):
            table.add_column(column)
        for model in models:
            decision = model.manifest.gate_decision
            try:
                model.verify()
                files = "verified"
            except shipped.ShippedModelError as exc:
                files = f"CHANGED: {exc}"
            table.add_row(model.name, model.manifest.base_model, model.manifest.made_from.get("version", "?"),
                          f"passed {decision['time'][:10]}" if decision else "never promoted", files)
        Console().print(table)
    return 0


def _ship(args: argparse.Namespace) -> int:
    from pathlib import Path

    from safecoder.models import shipped
    from safecoder.registry import Registry

    registry = Registry()
    reference = args.reference
    if Path(reference).is_dir() and not registry.knows(reference):
        found = registry.registered_from(reference)
        if found is None:
            raise shipped.ShippedModelError(f"no registry version was registered from the run folder {reference}; "
                                            "train it with `safecoder train` (which registers it) first")
        reference = found.version
    model = shipped.ship(registry, reference, args.name, rebuild=args.rebuild,
                         require_promotion=not args.unpromoted, served=args.served)
    size = sum(p.stat().st_size for p in model.folder.rglob("*") if p.is_file())
    print(f"shipped {model.manifest.made_from['version']} as {model.folder} ({size / 1e6:.1f} MB, "
          f"{model.manifest.dtype})")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    import time

    from safecoder.models import gguf_checkpoint, resolve

    started = time.perf_counter()
    model = resolve(args.reference)
    if args.force and model.weights is None and model.gguf is not None:
        path = gguf_checkpoint.ensure_checkpoint(model.gguf, model.name, model.gguf_sha256, force=True)
    else:
        path = model.require_weights()
    print(f"ready in {time.perf_counter() - started:.1f} s: {path}")
    return 0


def _load_time(args: argparse.Namespace) -> int:
    import os
    import statistics
    import subprocess
    import sys
    import tempfile
    import time

    from rich.console import Console
    from rich.table import Table

    probe = (
        "import time, sys\n"
        "t0 = time.perf_counter()\n"
        "import torch\n"
        "from transformers import AutoModelForCausalLM, AutoTokenizer\n"
        "from safecoder.models.reference import resolve\n"
        "from safecoder.models.loading import load_for_generation\n"
        "t1 = time.perf_counter()\n"
        f"model = resolve({args.model!r})\n"
        "network, tokenizer = load_for_generation(model)\n"
        "t2 = time.perf_counter()\n"
        "print(f'{t1 - t0:.3f} {t2 - t1:.3f}')\n"
    )

    def run(home: str) -> tuple[float, float]:
        env = {**os.environ, "SAFECODER_HOME": home}
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                             timeout=900, check=True).stdout.split()
        return float(out[-2]), float(out[-1])

    with tempfile.TemporaryDirectory(prefix="safecoder-load-time-") as fresh_home:
        started = time.perf_counter()
        _, first = run(fresh_home)
        cached = [run(fresh_home) for _ in range(args.repeats)]
    table = Table(title=f"{args.model} load time, seconds")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    cached_load = statistics.median(c[1] for c in cached)
    imports = statistics.median(c[0] for c in cached)
    table.add_row("first use: GGUF conversion + load", f"{first:.2f}")
    table.add_row(f"cached load: weights + tokenizer (median of {args.repeats})", f"{cached_load:.2f}")
    table.add_row("python imports (torch, transformers), once per process", f"{imports:.2f}")
    table.add_row("cached load + imports: a fresh process, ready to generate", f"{cached_load + imports:.2f}")
    table.add_row("cached / first", f"{cached_load / first:.3f}")
    Console().print(table)
    print(f"(measured in {time.perf_counter() - started:.0f} s with a temporary SAFECODER_HOME)")
    return 0


def _generate(args: argparse.Namespace) -> int:
    import asyncio
    import sys

    from safecoder.engines import GenerationRequest, SamplingParams, create_engine
    from safecoder.prompts import format_instruction

    engine = create_engine(args.engine, args.model)
    if args.raw:
        prompt = args.prompt
    elif args.chat:
        prompt = engine.apply_chat_template([{"role": "user", "content": args.prompt}])
    else:
        prompt = format_instruction(args.prompt)
    sampling = SamplingParams(max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                              top_p=args.top_p, seed=args.seed, stop=tuple(args.stop))

    async def run() -> None:
        async for delta in engine.stream(GenerationRequest(prompt, sampling)):
            sys.stdout.write(delta.text)
            sys.stdout.flush()
        sys.stdout.write("\n")
        await engine.close()

    asyncio.run(run())
    return 0
