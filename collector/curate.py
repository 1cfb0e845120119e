"""Cleaning the extracted pairs: duplicates out, over-represented classes capped.

Input: `SecurityPair`s in a stable order (the pipeline sorts them by repository, commit,
file and function). Output: the kept pairs in the same order, and a count of what each
step removed.

1. Exact duplicates: the same CWE and language and the same vulnerable and secure code
   token for token (whitespace and comments ignored) as an earlier pair.
2. Near duplicates: Jaccard similarity of the token 5-gram sets of (vulnerable + secure)
   at or above `near_duplicate_threshold` with an earlier pair of the same class; the
   same fix copied across forks or backported across branches. Candidates are compared
   only within a class and within the size ratio the threshold allows, which keeps this
   fast at the scale of verified fixes (thousands), not of raw commits.
3. Caps: at most `max_per_repository` pairs per repository, then `max_per_class` per
   (CWE, language) class; which pairs stay is decided by their content id, so the choice
   is stable across runs and does not favour early commits.

Not here: instructions, and anything about whether a pair is a real fix.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from safecoder import languages
from safecoder.data.records import SecurityPair
from safecoder.hashing import sha256_text

SHINGLE = 5


@dataclass
class CurationReport:
    exact_duplicates: int = 0
    near_duplicates: int = 0
    repository_cap: int = 0
    class_cap: int = 0
    kept: int = 0
    per_class: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {
            "exact_duplicates": self.exact_duplicates,
            "near_duplicates": self.near_duplicates,
            "repository_cap": self.repository_cap,
            "class_cap": self.class_cap,
            "kept": self.kept,
            "per_class": {f"{c}/{lang}": n for (c, lang), n in sorted(self.per_class.items())},
        }


def code_tokens(code: str, language: str) -> list[str]:
    """The code's leaf tokens without comments or whitespace (tree-sitter)."""
    language_obj = languages.language_of(language)
    tree = languages.parser_for(language_obj).parse(code.encode("utf-8"))
    tokens: list[str] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in ("comment", "line_comment", "block_comment"):
            continue
        if node.child_count == 0:
            tokens.append((node.text or b"").decode("utf-8", "replace"))
        else:
            stack.extend(reversed(node.children))
    return tokens


def curate(pairs: Sequence[SecurityPair], near_threshold: float = 0.9, max_per_class: int = 0,
           max_per_repository: int = 0) -> tuple[list[SecurityPair], CurationReport]:
    report = CurationReport()
    unique = _drop_duplicates(pairs, near_threshold, report)
    capped = _cap(unique, lambda p: p.provenance.repository, max_per_repository)
    report.repository_cap = len(unique) - len(capped)
    final = _cap(capped, lambda p: p.class_key, max_per_class)
    report.class_cap = len(capped) - len(final)
    report.kept = len(final)
    report.per_class = Counter(p.class_key for p in final)
    return final, report


def _drop_duplicates(pairs: Sequence[SecurityPair], near_threshold: float, report: CurationReport) -> list[SecurityPair]:
    seen_exact: set[str] = set()
    shingles_by_class: dict[tuple[str, str], list[frozenset[str]]] = defaultdict(list)
    kept = []
    for pair in pairs:
        before = code_tokens(pair.vulnerable_code, pair.language)
        after = code_tokens(pair.secure_code, pair.language)
        key = sha256_text("\0".join((pair.cwe, pair.language, "\1".join(before), "\2", "\1".join(after))))
        if key in seen_exact:
            report.exact_duplicates += 1
            continue
        seen_exact.add(key)
        if near_threshold < 1.0:
            shingles = _shingles([*before, "\2", *after])
            earlier = shingles_by_class[pair.class_key]
            if any(_similar(shingles, other, near_threshold) for other in earlier):
                report.near_duplicates += 1
                continue
            earlier.append(shingles)
        kept.append(pair)
    return kept


def _shingles(tokens: list[str]) -> frozenset[str]:
    if len(tokens) < SHINGLE:
        return frozenset({"\1".join(tokens)})
    return frozenset("\1".join(tokens[i:i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


def _similar(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    small, large = sorted((len(a), len(b)))
    if large == 0 or small / large < threshold:  # Jaccard <= |small| / |large|
        return False
    return len(a & b) / len(a | b) >= threshold


def _cap(pairs: list[SecurityPair], key_of, limit: int) -> list[SecurityPair]:
    if limit <= 0:
        return pairs
    groups: dict = defaultdict(list)
    for pair in pairs:
        groups[key_of(pair)].append(pair)
    chosen: set[int] = set()
    for members in groups.values():
        for pair in sorted(members, key=lambda p: p.id)[:limit]:
            chosen.add(id(pair))
    return [p for p in pairs if id(p) in chosen]
