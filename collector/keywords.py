"""Keyword lists per CWE (the editable `keywords.yaml`) compiled into fast matchers.

Input: the YAML file shipped in this package, or any file of the same shape given with
`--keywords`. Output: a `KeywordMatcher` that maps a commit message to the CWEs its
keywords name (or to "any CWE" for generic security words), and a `WordList` matcher
for the words an LLM-written instruction must not contain.

All keywords of a file compile into one regular expression searched over the lowercased
message, which is what makes the filter fast enough for a commit stream (see
`safecoder.collector.perf`). This module does not decide whether a commit is a fix:
a keyword only makes a commit a candidate for verification by static analysis.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from safecoder import cwe as cwe_catalog
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_text

GENERIC = "*"


class KeywordFileError(SafeCoderError, ValueError):
    """A keyword file that cannot be read; the message names the file and the entry."""


def _keyword_pattern(keyword: str) -> str:
    """A keyword as a regex: word-start anchored, flexible separators, `$` for a whole word."""
    keyword = keyword.strip().lower()
    whole_word = keyword.endswith("$")
    keyword = keyword.rstrip("$")
    body = r"[\s_\-]*".join(re.escape(part) for part in keyword.split())
    start = r"\b" if re.match(r"\w", keyword) else ""
    end = r"\b" if whole_word and re.search(r"\w$", keyword) else ""
    return f"{start}{body}{end}"


_SEPARATOR = r"[\s_\-]*"
_END = ""  # trie key: a keyword ends here (prefix match)
_WORD_END = "$"  # trie key: a keyword ends here at a word boundary


def _trie_regex(keywords: list[str]) -> str:
    """One regex for many keywords, factored as a trie so each position costs one dispatch.

    An alternation of hundreds of keywords makes `re` try every branch at every word
    start; factoring common prefixes keeps it to a few comparisons per character.
    """
    trie: dict = {}
    for keyword in keywords:
        keyword = keyword.strip().lower()
        whole_word = keyword.endswith("$")
        node = trie
        for index, part in enumerate(keyword.rstrip("$").split()):
            if index:
                node = node.setdefault(_SEPARATOR, {})
            for char in part:
                node = node.setdefault(char, {})
        node[_WORD_END if whole_word else _END] = {}

    def build(node: dict) -> str:
        branches = []
        for key in sorted(k for k in node if k not in (_END, _WORD_END)):
            head = key if key == _SEPARATOR else re.escape(key)
            branches.append(head + build(node[key]))
        if _WORD_END in node:
            branches.append(r"\b")
        if _END in node:
            branches.append("")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    word_start = {k: v for k, v in trie.items() if re.match(r"\w", k)}
    other_start = {k: v for k, v in trie.items() if not re.match(r"\w", k)}
    parts = []
    if word_start:
        parts.append(r"\b" + build(word_start))
    if other_start:
        parts.append(build(other_start))
    return "|".join(parts) if parts else r"(?!)"


class WordList:
    """Any-of matcher for a list of keywords (same syntax as the CWE lists)."""

    def __init__(self, words: list[str]):
        self.words = tuple(words)
        self._regex = re.compile(_trie_regex([w for w in words if w.strip()])) if any(w.strip() for w in words) else None

    def find(self, text: str) -> list[str]:
        """The matched fragments of `text`, lowercased, in order."""
        if self._regex is None:
            return []
        return [m.group(0) for m in self._regex.finditer(text.lower())]


@dataclass(frozen=True)
class KeywordSet:
    """The parsed keyword file."""

    version: str
    generic: tuple[str, ...]
    by_cwe: dict[str, tuple[str, ...]]
    instruction_security_words: tuple[str, ...]
    source: str

    @property
    def fingerprint(self) -> str:
        """Changes whenever any list changes, so resumed runs notice an edited file."""
        parts = [self.version, *self.generic, "|"]
        for cwe_id in sorted(self.by_cwe):
            parts.extend([cwe_id, *self.by_cwe[cwe_id], "|"])
        return sha256_text("\n".join(parts))[:16]


class KeywordMatcher:
    """Commit message -> the CWEs its keywords suggest (`{"*"}` for generic words only)."""

    def __init__(self, keywords: KeywordSet):
        self.keywords = keywords
        self._owner: dict[str, set[str]] = {}
        entries: list[tuple[str, str]] = [(GENERIC, w) for w in keywords.generic]
        entries += [(cwe_id, w) for cwe_id, words in keywords.by_cwe.items() for w in words]
        for owner, word in entries:
            self._owner.setdefault(_keyword_pattern(word), set()).add(owner)
        # One named group per keyword would exceed `re`'s group limit on big lists;
        # instead match the union, then look the matched text up per keyword (memoized).
        ordered = sorted(self._owner, key=len, reverse=True)
        self._regex = re.compile(_trie_regex([word for _, word in entries]))
        self._single = [(re.compile(p), frozenset(self._owner[p])) for p in ordered]
        self._memo: dict[str, frozenset[str]] = {}

    def match(self, message: str) -> frozenset[str]:
        """The CWE ids named by the message; `{"*"}` when only generic words match; empty if none."""
        lowered = message.lower()
        found = self._regex.findall(lowered)
        if not found:
            return frozenset()
        owners: set[str] = set()
        for fragment in found:
            owners |= self._owners_of(fragment)
        specific = owners - {GENERIC}
        return frozenset(specific) if specific else frozenset({GENERIC})

    def _owners_of(self, fragment: str) -> frozenset[str]:
        cached = self._memo.get(fragment)
        if cached is None:
            owners: set[str] = set()
            for regex, names in self._single:
                if regex.fullmatch(fragment) or regex.match(fragment):
                    owners |= names
            cached = frozenset(owners)
            if len(self._memo) < 100_000:
                self._memo[fragment] = cached
        return cached


def load_keywords(path: str | Path | None = None) -> KeywordSet:
    """The keyword file at `path`, or the one shipped with the package."""
    if path is None:
        text = resources.files("safecoder.collector").joinpath("keywords.yaml").read_text(encoding="utf-8")
        source = "safecoder.collector/keywords.yaml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeywordFileError(f"keyword file {path} does not exist; pass an existing YAML file to --keywords") from None
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KeywordFileError(f"keyword file {source} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cwes"), dict):
        raise KeywordFileError(f"keyword file {source} needs a mapping with a `cwes:` mapping of CWE id -> list of keywords")
    by_cwe: dict[str, tuple[str, ...]] = {}
    for raw_id, words in data["cwes"].items():
        try:
            cwe_id = cwe_catalog.normalize(raw_id)
        except cwe_catalog.UnknownCWEError as exc:
            raise KeywordFileError(f"keyword file {source}: {exc}") from None
        by_cwe[cwe_id] = _word_list(words, f"cwes.{raw_id}", source)
    return KeywordSet(
        version=str(data.get("version", "0")),
        generic=_word_list(data.get("generic", []), "generic", source),
        by_cwe=by_cwe,
        instruction_security_words=_word_list(data.get("instruction_security_words", []), "instruction_security_words", source),
        source=source,
    )


@functools.lru_cache(maxsize=8)
def matcher_for(path: str | None = None) -> KeywordMatcher:
    """A cached matcher per keyword file (workers build it once per process)."""
    return KeywordMatcher(load_keywords(path))


def _word_list(words: object, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise KeywordFileError(f"keyword file {source}: `{where}` must be a list of non-empty strings")
    return tuple(words)
