"""`safecoder analyze validate-pairs`: how well the judge separates vulnerable from fixed code.

Input: the security pairs under the shared data folder (SafeCoder's `sec-new-desc` and
`sec-desc`, SVEN's pairs; duplicates across files counted once). Every pair's vulnerable
and secure function is wrapped into a parseable file (`fragments`) and judged in batch
by the analysis ensemble, restricted to the pair's CWE. Output, per (CWE, language): how
many pairs were judged on both sides, the share of vulnerable versions flagged for the
CWE, the share of secure versions flagged, and whether the class meets the target
(>= 80 % and <= 10 %); classes that cannot are listed with the reason (`LIMITS`).
Printed as a table; `--output docs/analysis.md` rewrites the table between the markers
in that document, with the rule-set version and the data's hash.

Results are cached per (code, language, rule set, analyzers) under
`SAFECODER_HOME/analysis/validate-pairs/`, so an interrupted run resumes where it
stopped.

This module does not decide what counts as a vulnerability; the rules do.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from safecoder.analysis.findings import AnalysisResult
from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)

START_MARKER = "<!-- validate-pairs:start -->"
END_MARKER = "<!-- validate-pairs:end -->"
TARGET_VULNERABLE = 0.80
TARGET_SECURE = 0.10
CHUNK = 500

# Classes that do not reach the target, and why (read from the pairs' diffs). A class
# missing here that misses the target is reported as "below target", so the table
# never hides a gap.
_MEMORY = ("fixes are project-specific bounds, length and state checks deep in library code (added "
           "`if (len < n)`, changed sizes, reordered frees); the weakness depends on values and callers "
           "outside the function; the rules target the scenarios' patterns")
LIMITS: dict[tuple[str, str], str] = {
    ("CWE-022", "c"): "no C rule (no scenario); fixes add project helpers such as `str_is_correct_filename`",
    ("CWE-022", "java"): "ZipSlip and partial-path (canonical-path startsWith) rules; of the missed pairs, one "
                         "writes inside a literal-prefix check on the entry name (`startsWith(\"bin\")`), which "
                         "the rule takes for a containment check, one already checks behind a `safeUnzip` flag, "
                         "and one strips a resource id with `new File(id).getName()`",
    ("CWE-022", "javascript"): "fixes strip `..` from `req.url` with a regular expression, which no "
                               "sanitizer model recognises",
    ("CWE-022", "python"): "paths come from function arguments and configuration rather than request "
                           "objects; fixes use project checks (`'..' in parts`, `safe_join` in another function)",
    ("CWE-022", "ruby"): "the pairs change git status bookkeeping around paths; no file access from input",
    ("CWE-078", "c"): "no C rule (no scenario); fixes change quoting in printf-style command strings",
    ("CWE-078", "python"): "most fixes turn a command string into a list for a project wrapper "
                           "(`self._run_ssh`, `_cli_run`); whether a shell runs is decided inside the wrapper",
    ("CWE-078", "ruby"): "most fixes replace Kernel#open/IO.readlines on local paths or refactor "
                         "option building; the command is assembled in other methods",
    ("CWE-079", "c"): "no C rule (no scenario); fixes escape strings for Qt widgets and HTTP error pages",
    ("CWE-079", "go"): "most pairs change logging or test assertions; the responses written are not "
                       "built from request data",
    ("CWE-079", "javascript"): "fixes swap .html() for .text() or innerHTML for textContent on values "
                               "from other functions (jQuery objects, API results) that are no source here; "
                               "secure versions still pass arguments to .html() elsewhere",
    ("CWE-079", "python"): "fixes span Flask, Django, Tornado, socket.io and templates with values from "
                           "databases and files; no single source-sink pair covers them",
    ("CWE-079", "java"): "the missed pair builds the page in a StringBuilder from a path argument, written "
                         "to the response elsewhere",
    ("CWE-079", "ruby"): "fixes escape values inside helpers that build strings in other methods",
    ("CWE-089", "go"): "the missed pair passes a raw request value to an ORM's Where (gorm), which has no "
                       "rule",
    ("CWE-089", "javascript"): "the fixed versions of two pairs still assemble SQL with += (placeholders "
                               "only), which the rules treat as building",
    ("CWE-089", "ruby"): "the SQL strings interpolate instance variables and constants set in other "
                         "methods; fixes add `to_i` guards after the query is built",
    ("CWE-116", "ruby"): "one of two pairs escapes with several `sub` calls on other characters",
    ("CWE-119", "c"): _MEMORY,
    ("CWE-125", "c"): _MEMORY,
    ("CWE-190", "c"): "fixes widen integer types (uint64_t, size_t casts) in arithmetic whose operands "
                      "come from structures, not from atoi/rand as in the scenarios",
    ("CWE-200", "javascript"): "eight of ten fragments (JSX cut out of components) do not parse on their own",
    ("CWE-326", "go"): "fixes change defaults and validation of configured key sizes held in variables",
    ("CWE-326", "python"): "the missed pair lowers a default argument (`def generateKeys(len=1024)`), which no "
                           "call in the function shows",
    ("CWE-327", "go"): "two of three pairs are tests comparing TLS versions",
    ("CWE-327", "python"): "most pairs rename password helpers or change SSL test expectations; only "
                           "a few replace md5/sha1",
    ("CWE-338", "javascript"): "the judged pair generates a UUID in an anonymous callback with no "
                               "security-sensitive name",
    ("CWE-352", "javascript"): "fixes swap one CSRF middleware for another or extend a path check",
    ("CWE-416", "c"): _MEMORY,
    ("CWE-476", "c"): _MEMORY,
    ("CWE-502", "python"): "several 'fixed' versions still call pickle.load/shelve, and some pairs only "
                           "change yaml.dump to yaml.safe_dump (no deserialization)",
    ("CWE-681", "go"): "fixes change ParseUint bit sizes and bounds checks on values used later, not "
                       "immediately converted",
    ("CWE-787", "c"): _MEMORY,
    ("CWE-915", "javascript"): "three vulnerable versions are test files and one checks `__proto__` already "
                               "(the fix swaps an array for a Map); an INI parser writes result[section][key] "
                               "from split lines, with no loop or recursion over the key",
    ("CWE-916", "javascript"): "one of two judged pairs hashes through a project helper method",
}


class ValidationError(SafeCoderError):
    """The shared data cannot be found or holds no security pairs."""


@dataclass
class ClassStats:
    total: int = 0
    judged: int = 0
    vulnerable_flagged: int = 0
    secure_flagged: int = 0
    both_unjudged_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def vulnerable_rate(self) -> float:
        return self.vulnerable_flagged / self.judged if self.judged else 0.0

    @property
    def secure_rate(self) -> float:
        return self.secure_flagged / self.judged if self.judged else 0.0

    @property
    def meets_target(self) -> bool:
        return self.judged > 0 and self.vulnerable_rate >= TARGET_VULNERABLE and self.secure_rate <= TARGET_SECURE


def load_pairs(data_dir: Path):
    from safecoder.data.loaders import load_security_pairs

    folder = data_dir / "security_pairs" if (data_dir / "security_pairs").is_dir() else data_dir
    if not folder.exists():
        raise ValidationError(f"no security pairs at {folder}; pass the shared data folder (../shared/data)")
    loaded = load_security_pairs(folder)
    pairs, seen = [], set()
    for pair in loaded.records:
        if pair.id not in seen:
            seen.add(pair.id)
            pairs.append(pair)
    if not pairs:
        raise ValidationError(f"{folder} holds no security pairs")
    return pairs, loaded.files


def judge_pairs(pairs, analyzers: tuple[str, ...], cache_path: Path | None, progress: bool = True):
    """(vulnerable result, secure result) per pair, from the cache or the analyzers."""
    from safecoder.analysis.ensemble import AnalysisConfig, analyze_sources
    from safecoder.analysis.fragments import wrap_fragment
    from safecoder.analysis.inputs import SourceInput
    from safecoder.hashing import sha256_text
    from safecoder.languages import get, maybe_language_of

    cache = _read_cache(cache_path)
    sources, keys, python2 = [], [], set()
    for pair in pairs:
        language = get(pair.language)
        extension = os.path.splitext(pair.provenance.file)[1].lstrip(".").lower()
        if maybe_language_of(extension) != language:
            extension = language.default_extension
        for side, code in (("vulnerable", pair.vulnerable_code), ("secure", pair.secure_code)):
            fragment = wrap_fragment(code, language.id, f"x.{extension}")
            key = sha256_text(f"{language.id}\0{extension}\0{fragment.text}")
            keys.append(key)
            if language.id == "python" and not _parses_as_python3(fragment.text):
                python2.add(key)
            if key not in cache:
                sources.append((key, SourceInput(fragment.text, language.id, f"{pair.id}-{side}.{extension}")))
    # Bandit parses Python 3 only: Python 2 versions are judged by the other analyzers.
    configs = {False: AnalysisConfig(analyzers=analyzers, compilers="never", syntax_policy="tree-sitter"),
               True: AnalysisConfig(analyzers=tuple(a for a in analyzers if a != "bandit") or ("semgrep",),
                                    compilers="never", syntax_policy="tree-sitter")}
    pending = list(dict(sources).items())
    bar = _bar(len(pending)) if progress and pending else None
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start:start + CHUNK]
        for is_python2, config in configs.items():
            part = [(key, source) for key, source in chunk if (key in python2) == is_python2]
            if not part:
                continue
            results = analyze_sources([source for _, source in part], config=config)
            for (key, _), result in zip(part, results, strict=True):
                cache[key] = result
        _write_cache(cache_path, cache)
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.close()
    judged = [cache[key] for key in keys]
    return [(judged[2 * i], judged[2 * i + 1]) for i in range(len(pairs))], len(python2)


def _parses_as_python3(text: str) -> bool:
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="judging pair versions", unit="version")


def _read_cache(path: Path | None) -> dict[str, AnalysisResult]:
    if path is None or not path.exists():
        return {}
    cache = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            cache[row["key"]] = AnalysisResult.from_dict(row["result"])
    return cache


def _write_cache(path: Path | None, cache: dict[str, AnalysisResult]) -> None:
    if path is None:
        return
    from safecoder.atomic import write_jsonl

    write_jsonl(path, ({"key": key, "result": result.to_dict()} for key, result in cache.items()))


def summarise(pairs, judgements) -> dict[tuple[str, str], ClassStats]:
    stats: dict[tuple[str, str], ClassStats] = defaultdict(ClassStats)
    for pair, (vulnerable, secure) in zip(pairs, judgements, strict=True):
        entry = stats[pair.class_key]
        entry.total += 1
        if not (vulnerable.judged and secure.judged):
            reason = (vulnerable if not vulnerable.judged else secure).status
            entry.both_unjudged_reasons[reason] = entry.both_unjudged_reasons.get(reason, 0) + 1
            continue
        entry.judged += 1
        entry.vulnerable_flagged += vulnerable.has_cwe(pair.cwe)
        entry.secure_flagged += secure.has_cwe(pair.cwe)
    return dict(sorted(stats.items()))


def render_markdown(stats: dict[tuple[str, str], ClassStats], provenance: dict) -> str:
    from safecoder.languages import get

    lines = [START_MARKER, "",
             f"Generated by `safecoder analyze validate-pairs` (rules `{provenance['rules_version']}`, "
             f"analyzers {', '.join(provenance['analyzers'])}, {provenance['pairs']} distinct pairs, "
             f"data hash `{provenance['data_hash'][:12]}`). Target per class: vulnerable flagged "
             f">= {TARGET_VULNERABLE:.0%}, secure flagged <= {TARGET_SECURE:.0%}. "
             f"{provenance.get('python2_versions', 0)} Python versions are Python 2, which Bandit cannot "
             "parse; Semgrep alone judges those.", "",
             "| CWE | language | pairs judged / total | vulnerable flagged | secure flagged | target | note |",
             "|---|---|---|---|---|---|---|"]
    for (cwe, language), entry in stats.items():
        verdict = "met" if entry.meets_target else ("-" if not entry.judged else "not met")
        note = LIMITS.get((cwe, language), "") if not entry.meets_target else ""
        if not note and not entry.meets_target:
            note = "below target" if entry.judged else "no pair parses"
        unjudged = ", ".join(f"{count} {reason}" for reason, count in sorted(entry.both_unjudged_reasons.items()))
        if unjudged:
            note = f"{note} (unjudged: {unjudged})" if note else f"unjudged: {unjudged}"
        lines.append(f"| {cwe} | {get(language).display_name} | {entry.judged} / {entry.total} | "
                     f"{entry.vulnerable_rate:.0%} | {entry.secure_rate:.0%} | {verdict} | {note} |")
    met = sum(entry.meets_target for entry in stats.values())
    lines += ["", f"{met} of {len(stats)} classes meet the target.", "", END_MARKER]
    return "\n".join(lines) + "\n"


def update_document(path: Path, section: str, start: str = START_MARKER, end: str = END_MARKER) -> None:
    """Replace the text between `start` and `end` in `path` with `section` (append it when absent)."""
    from safecoder.atomic import write_text

    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text and end in text:
        before = text.split(start, 1)[0]
        after = text.split(end, 1)[1]
        text = before + section.rstrip("\n") + after
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + section
    write_text(path, text)


def run_from_cli(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from safecoder.analysis.ensemble import DEFAULT_ANALYZERS, AnalysisConfig
    from safecoder.analysis.ruleset import rules_version
    from safecoder.config import build
    from safecoder.hashing import sha256_json
    from safecoder.paths import home, shared_data_dir

    data_dir = Path(args.paths[1]) if len(args.paths) > 1 else shared_data_dir()
    if data_dir is None:
        raise ValidationError("the shared data was not found; pass its folder: safecoder analyze validate-pairs DATA")
    analyzers = build(AnalysisConfig, args).analyzers if getattr(args, "analyzers", None) else DEFAULT_ANALYZERS
    analyzers = tuple(name for name in analyzers if name != "syntax")
    pairs, files = load_pairs(Path(data_dir))
    version = rules_version()
    cache = home() / "analysis" / "validate-pairs" / f"{version}-{'-'.join(analyzers)}.jsonl"
    judgements, python2 = judge_pairs(pairs, analyzers, cache)
    stats = summarise(pairs, judgements)
    provenance = {"rules_version": version, "analyzers": list(analyzers), "pairs": len(pairs),
                  "data_hash": sha256_json(sorted(pair.id for pair in pairs)), "files": files,
                  "python2_versions": python2}
    table = Table(title=f"Security pairs judged by {', '.join(analyzers)} ({version})")
    for column in ("CWE", "language", "judged/total", "vulnerable flagged", "secure flagged", "target"):
        table.add_column(column)
    for (cwe, language), entry in stats.items():
        table.add_row(cwe, language, f"{entry.judged}/{entry.total}", f"{entry.vulnerable_rate:.0%}",
                      f"{entry.secure_rate:.0%}", "met" if entry.meets_target else "not met")
    Console().print(table)
    if args.output is not None:
        update_document(Path(args.output), render_markdown(stats, provenance))
        print(f"wrote the table to {args.output}")
    return 0
