"""Judging rewrites of a repair task: fixed, still correct, verified, and how close to the real fix.

Input: `RepairTask`s and, per task, the model's answers. Each answer's code
(`safecoder.repair.prompts.extract_code`) is spliced into the task's text in place of
the function, and judged:

- `fixed`: every configured judge judged the spliced text and none finds the task's CWE
  inside the rewritten function (`fast`: the in-process analyzer; `ensemble`: Semgrep and
  Bandit, one batch for all rewrites). An unparseable rewrite is not fixed.
- `correct` (the pairs have no tests): the rewrite parses (no tree-sitter error in its
  range), keeps the vulnerable function's signature (`functions.signature`), and passes
  the compile check (`safecoder.analysis.compilers`, policy `auto`, one batch per
  language; Python's own parser).
- `similarity`: `token_similarity` of the rewrite and the secure version, in percent.
- `verified`: what `safecoder fix` would decide (`safecoder.repair.verify`), computed for
  the answers in order until one is accepted: the verified-fix loop's choice.

Output: one `Judged` per answer, plus the loop's choice per task.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from safecoder.analysis import AnalysisConfig, SourceInput, analyze_snippet, analyze_sources
from safecoder.analysis.compilers import check_with_compilers
from safecoder.analysis.inputs import InputProblem, prepare_source
from safecoder.analysis.syntax import check_syntax
from safecoder.benchmarks.repair.tasks import RepairTask
from safecoder.languages import get
from safecoder.repair.functions import errors_within, signature
from safecoder.repair.prompts import extract_code
from safecoder.repair.verify import verify_candidates

_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Judged:
    has_code: bool
    fixed: bool
    correct: bool
    similarity: float | None  # percent; None without code

    @property
    def fixed_and_correct(self) -> bool:
        return self.fixed and self.correct


def tokens(code: str) -> list[str]:
    return _TOKEN.findall(code)


def token_similarity(a: str, b: str) -> float:
    """difflib's ratio over the two codes' tokens (words and punctuation), in percent."""
    return round(100.0 * difflib.SequenceMatcher(None, tokens(a), tokens(b), autojunk=False).ratio(), 2)


@dataclass(frozen=True)
class _Rewrite:
    task: RepairTask
    code: str
    spliced: str
    first_line: int
    last_line: int


def _rewrite(task: RepairTask, code: str) -> _Rewrite:
    replacement = task.function.reindent(code)
    spliced = task.text[: task.function.start] + replacement + task.text[task.function.end:]
    first = task.text.count("\n", 0, task.function.start) + 1
    return _Rewrite(task, code, spliced, first, first + replacement.count("\n"))


def _free_of(result, rewrite: _Rewrite) -> bool:
    if not result.judged:
        return False
    return not any(f.cwe == rewrite.task.pair.cwe and f.start_line <= rewrite.last_line
                   and f.end_line >= rewrite.first_line for f in result.findings)


def judge_answers(tasks: Sequence[RepairTask], answers: Sequence[Sequence[str]],
                  judges: Sequence[str] = ("fast", "ensemble")) -> list[list[Judged]]:
    """Per task, one `Judged` per answer (in the answers' order)."""
    rewrites: list[list[_Rewrite | None]] = []
    for task, texts in zip(tasks, answers, strict=True):
        rewrites.append([_rewrite(task, code) if (code := extract_code(text)).strip() else None for text in texts])
    flat = [r for row in rewrites for r in row if r is not None]
    unique = {(r.spliced, r.task.pair.language): None for r in flat}
    keys = list(unique)
    fast = {key: analyze_snippet(key[0], key[1]) for key in keys} if "fast" in judges else {}
    ensemble = {}
    if "ensemble" in judges and keys:
        config = AnalysisConfig(analyzers=("semgrep", "bandit", "syntax"), syntax_policy="tree-sitter",
                                compilers="never")
        results = analyze_sources([SourceInput(text, language) for text, language in keys], config=config)
        ensemble = dict(zip(keys, results, strict=True))
    compile_rejected = _compile_rejected(keys)
    judged: list[list[Judged]] = []
    for task, row in zip(tasks, rewrites, strict=True):
        language = get(task.pair.language)
        wanted_signature = signature(task.function.dedented, language)
        out = []
        for rewrite in row:
            if rewrite is None:
                out.append(Judged(False, False, False, None))
                continue
            key = (rewrite.spliced, task.pair.language)
            fixed = all(_free_of(verdicts[key], rewrite) for name, verdicts in (("fast", fast), ("ensemble", ensemble))
                        if name in judges)
            end = task.function.start + len(task.function.reindent(rewrite.code))
            parses = not errors_within(rewrite.spliced, language, task.function.start, end)
            correct = (parses and key not in compile_rejected
                       and signature(rewrite.code, language) == wanted_signature)
            out.append(Judged(True, fixed, correct, token_similarity(rewrite.code, task.pair.secure_code)))
        judged.append(out)
    return judged


def _compile_rejected(keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (text, language) keys that Python's parser or an installed compiler rejects."""
    rejected: set[tuple[str, str]] = set()
    batch = []
    for index, (text, language) in enumerate(keys):
        prepared = prepare_source(SourceInput(text, language))
        if isinstance(prepared, InputProblem):
            rejected.add((text, language))
        elif language == "python":
            if not check_syntax(prepared, policy="strict")[0].ok:
                rejected.add((text, language))
        else:
            batch.append((index, prepared))
    for index in check_with_compilers(batch, "auto"):
        rejected.add(keys[index])
    return rejected


def loop_choice(task: RepairTask, answers: Sequence[str]) -> int | None:
    """The answer `safecoder fix`'s verified-fix loop keeps (its index), or None."""
    outcome = verify_candidates(task.text, get(task.pair.language), task.finding, task.function, answers)
    return outcome.accepted if outcome.verified else None
