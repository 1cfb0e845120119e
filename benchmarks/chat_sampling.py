"""Sampling chat instructions through the engine, each item's samples cached in the run folder.

Used by the benchmarks that ask a chat model a question and judge the whole reply (the
answer rate, CyberSecEval). Input: `ChatItem`s (a group and a name that place the
cache file, and the user message), `ChatSampling` settings, a `RunContext`. Output: per
item, its cache record (`completions`, `finish_reasons`, the rendered `prompt`, `seed`).

Each item's file is keyed by everything that decides its samples (benchmark version,
model identity, engine, message, sampling, the item's seed), written as soon as its
batch is done, and reused by a rerun with the same settings (the model is then not
loaded at all). This module judges nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.run_folder import cache_key

CACHE_SCHEMA = 1


@dataclass(frozen=True)
class ChatItem:
    group: str          # cache sub-folder, e.g. the dataset
    name: str           # unique within the group
    message: str        # the user's message


@dataclass(frozen=True)
class ChatSampling:
    n: int
    temperature: float
    top_p: float
    max_new_tokens: int
    seed: int


def item_seed(base_seed: int, name: str) -> int:
    """A per-item seed: reproducible whichever items run, in whichever order."""
    return (base_seed * 1_000_003 + zlib.crc32(name.encode())) % (2**31 - 1)


def cache_path(context: RunContext, benchmark: str, version: str, item: ChatItem, sampling: ChatSampling) -> Path:
    """Where `item`'s samples are kept for these settings."""
    key = cache_key({"benchmark": benchmark, "version": version, "model": context.identity,
                     "engine": context.resolved_engine_kind, "message": item.message,
                     "n": sampling.n, "temperature": sampling.temperature, "top_p": sampling.top_p,
                     "max_new_tokens": sampling.max_new_tokens, "seed": item_seed(sampling.seed, item.name)})
    return context.folder.cache_path(benchmark, item.group, item.name, key=key)


def sample_chat(context: RunContext, benchmark: str, version: str, items: Sequence[ChatItem],
                sampling: ChatSampling, *, batch_size: int = 16,
                description: str = "sampling") -> dict[tuple[str, str], dict[str, Any]]:
    """Cached or freshly sampled records of `items`, by (group, name)."""
    paths = {(i.group, i.name): cache_path(context, benchmark, version, i, sampling) for i in items}
    return sample_cached(context, benchmark, version, items, paths,
                         lambda batch: _generate(context, batch, sampling), batch_size, description)


def sample_cached(context: RunContext, benchmark: str, version: str, items: Sequence, paths: dict,
                  generate: Callable[[Sequence], list[dict[str, Any]]], batch_size: int,
                  description: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The records of `items` (anything with `group` and `name`) at `paths`: the cached ones
    loaded, the others generated batch by batch and saved as each batch is done."""
    from tqdm.auto import tqdm

    folder = context.folder
    records = {key: folder.load(path) for key, path in paths.items()}
    pending = [i for i in items if records[(i.group, i.name)] is None]
    with tqdm(total=len(pending), desc=f"{benchmark} {description}", unit="prompt",
              disable=not context.progress or not pending) as bar:
        for start in range(0, len(pending), batch_size):
            batch = pending[start:start + batch_size]
            for item, record in zip(batch, generate(batch), strict=True):
                records[(item.group, item.name)] = record
                folder.save(paths[(item.group, item.name)], record | {"benchmark": benchmark, "version": version})
            bar.update(len(batch))
    return records


def samples_record(item: ChatItem, completions: list[str], seed: int | None = None) -> dict[str, Any]:
    """An item's cache record, as `sample_chat` writes it."""
    return {"schema": CACHE_SCHEMA, "name": item.name, "message": item.message, "seed": seed,
            "completions": completions}


def _generate(context: RunContext, items: Sequence[ChatItem], sampling: ChatSampling) -> list[dict[str, Any]]:
    from safecoder.engines import GenerationRequest, SamplingParams

    engine = context.engine()
    requests = [
        GenerationRequest(engine.apply_chat_template([{"role": "user", "content": item.message}]),
                          SamplingParams(n=sampling.n, temperature=sampling.temperature, top_p=sampling.top_p,
                                         max_new_tokens=sampling.max_new_tokens,
                                         seed=item_seed(sampling.seed, item.name)))
        for item in items
    ]
    results = engine.generate_batch(requests, progress=False)
    return [{"schema": CACHE_SCHEMA, "name": item.name, "message": item.message, "prompt": request.prompt,
             "seed": request.sampling.seed, "completions": [c.text for c in result.completions],
             "finish_reasons": [c.finish_reason for c in result.completions]}
            for item, request, result in zip(items, requests, results, strict=True)]
