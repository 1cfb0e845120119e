"""Sampling raw prompts (no chat template) through the engine, each item's samples cached in the run folder.

Used by the benchmarks whose prompt is the paper's instruction template itself, what
SafeCoder models are trained on and what the editor and `safecoder fix` send (repair,
classification). Input: `PromptItem`s (a group and a name that place the cache file, the
prompt, stop strings), `PromptSampling`, a `RunContext`. Output: per item its record
(`completions`, `finish_reasons`, `prompt`, `seed`).

A record is keyed by everything that decides its samples (benchmark version, model
identity, engine, prompt, stop strings, sampling, the item's seed), written as soon as
its batch is done, and reused by a rerun with the same settings (the model is then not
loaded). This module judges nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safecoder.benchmarks.chat_sampling import item_seed
from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.run_folder import cache_key

CACHE_SCHEMA = 1


@dataclass(frozen=True)
class PromptItem:
    group: str
    name: str
    prompt: str
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class PromptSampling:
    n: int
    temperature: float
    top_p: float
    max_new_tokens: int
    seed: int


def cache_path(context: RunContext, benchmark: str, version: str, item: PromptItem, sampling: PromptSampling) -> Path:
    key = cache_key({"benchmark": benchmark, "version": version, "model": context.identity,
                     "engine": context.resolved_engine_kind, "prompt": item.prompt, "stop": list(item.stop),
                     "n": sampling.n, "temperature": sampling.temperature, "top_p": sampling.top_p,
                     "max_new_tokens": sampling.max_new_tokens, "seed": item_seed(sampling.seed, item.name)})
    return context.folder.cache_path(benchmark, item.group, item.name, key=key)


def samples_record(item: PromptItem, completions: list[str], seed: int | None = None) -> dict[str, Any]:
    """An item's cache record, as `sample_prompts` writes it."""
    return {"schema": CACHE_SCHEMA, "name": item.name, "prompt": item.prompt, "seed": seed,
            "completions": completions}


def sample_prompts(context: RunContext, benchmark: str, version: str, items: Sequence[PromptItem],
                   sampling: PromptSampling, *, batch_size: int = 8,
                   description: str = "sampling") -> dict[tuple[str, str], dict[str, Any]]:
    """Cached or freshly sampled records of `items`, by (group, name)."""
    from safecoder.benchmarks.chat_sampling import sample_cached

    paths = {(i.group, i.name): cache_path(context, benchmark, version, i, sampling) for i in items}
    return sample_cached(context, benchmark, version, items, paths,
                         lambda batch: _generate(context, batch, sampling), batch_size, description)


def _generate(context: RunContext, items: Sequence[PromptItem], sampling: PromptSampling) -> list[dict[str, Any]]:
    from safecoder.engines import GenerationRequest, SamplingParams

    engine = context.engine()
    requests = [GenerationRequest(item.prompt, SamplingParams(
        n=sampling.n, temperature=sampling.temperature, top_p=sampling.top_p, max_new_tokens=sampling.max_new_tokens,
        stop=item.stop, seed=item_seed(sampling.seed, item.name))) for item in items]
    results = engine.generate_batch(requests, progress=False)
    return [{**samples_record(item, [c.text for c in result.completions], request.sampling.seed),
             "finish_reasons": [c.finish_reason for c in result.completions]}
            for item, request, result in zip(items, requests, results, strict=True)]
