"""The shared security pairs as tasks: which pairs, in which order, and the function to repair.

`load_pairs(paths)` reads security pairs (default: the shared data's validation splits,
`security_pairs/safecoder/val`, which training does not see), drops duplicates, and
orders them by id. `seeded_sample(items, limit, seed)` is the reproducible sample a
`--limit` takes. `repair_tasks(pairs)` keeps the pairs whose vulnerable version, wrapped
as a parseable file (`safecoder.analysis.fragments`), the analysis fast path flags with
the pair's CWE, and returns for each the wrapped text, the function to rewrite (the
outermost function around the finding) and the finding; the others are counted by why
they were left out.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from safecoder.analysis import analyze_snippet
from safecoder.analysis.findings import Finding
from safecoder.analysis.fragments import wrap_fragment
from safecoder.config import ConfigError
from safecoder.data.loaders import load_security_pairs
from safecoder.data.records import SecurityPair
from safecoder.languages import get
from safecoder.repair.functions import FunctionSpan, enclosing_function

T = TypeVar("T")
DEFAULT_PAIRS = ("security_pairs", "safecoder", "val")


@dataclass(frozen=True)
class RepairTask:
    pair: SecurityPair
    text: str  # the vulnerable function as a parseable file
    function: FunctionSpan  # the function in `text` to rewrite
    finding: Finding  # the fast path's finding of the pair's CWE in `text`

    @property
    def name(self) -> str:
        return f"{self.pair.cwe}-{self.pair.language}-{self.pair.id}"


def default_pair_paths() -> tuple[Path, ...]:
    from safecoder.paths import shared_data_dir

    root = shared_data_dir()
    if root is None:
        raise ConfigError("no shared data folder was found for the security pairs; pass --data with pair files "
                          "or set SAFECODER_SHARED_DATA")
    return (root.joinpath(*DEFAULT_PAIRS),)


def load_pairs(paths: Sequence[Path] = ()) -> list[SecurityPair]:
    pairs: dict[str, SecurityPair] = {}
    for path in paths or default_pair_paths():
        for pair in load_security_pairs(path, strict=True).records:
            pairs.setdefault(pair.id, pair)
    if not pairs:
        raise ConfigError(f"no security pairs in {[str(p) for p in paths or default_pair_paths()]}")
    return [pairs[key] for key in sorted(pairs)]


def short_pairs(pairs: Sequence[SecurityPair], max_chars: int) -> tuple[list[SecurityPair], int]:
    """The pairs whose both versions are at most `max_chars` long, and how many were longer."""
    kept = [p for p in pairs if max(len(p.vulnerable_code), len(p.secure_code)) <= max_chars]
    return kept, len(pairs) - len(kept)


def seeded_sample(items: Sequence[T], limit: int, seed: int) -> list[T]:
    """`limit` items (all when 0) in a seeded order: the same for the same data and seed."""
    order = list(items)
    random.Random(seed).shuffle(order)
    return order[:limit] if limit else order


def repair_tasks(pairs: Sequence[SecurityPair]) -> tuple[list[RepairTask], Counter]:
    tasks, skipped = [], Counter()
    for pair in pairs:
        language = get(pair.language)
        fragment = wrap_fragment(pair.vulnerable_code, pair.language)
        result = analyze_snippet(fragment.text, pair.language)
        if not result.judged:
            skipped["vulnerable version not analysable"] += 1
            continue
        finding = next((f for f in result.findings if f.cwe == pair.cwe), None)
        if finding is None:
            skipped["CWE not found by the analyzer"] += 1
            continue
        function = enclosing_function(fragment.text, language, finding.start_line - 1,
                                      max(finding.start_column - 1, 0), outermost=True)
        if function is None:
            skipped["finding outside a function"] += 1
            continue
        tasks.append(RepairTask(pair, fragment.text, function, finding))
    return tasks, skipped
