"""Verified fixes: ask the model to rewrite a function, offer only what the analyzer accepts.

Input: a document's text, its language, and one finding in it. Steps:
1. the function around the finding (`functions.enclosing_function`); none, no fix;
2. a request in the paper's instruction template (what SafeCoder models are trained
   on) naming the CWE, the analyzer's message and the line, with the function as the
   input and the answer primed with a code fence; `fix_candidates` samples;
3. each candidate, spliced into the document in place of the function, must
   - be new code (not the function unchanged) that defines the same function,
   - parse: tree-sitter finds no error inside the spliced range,
   - be judged by the analysis fast path (status `ok`), with no finding of the CWE
     inside the rewritten function, and no finding there of any CWE the original
     function did not already have.
The first candidate that passes is the fix. Output: a `FixOutcome` with the replacement
text, or with the reasons every candidate was refused ("still has CWE-089 (2), does
not parse (1)"), which the code action shows instead of an edit.

Not here: talking to the editor (`code_actions.py`). The verification never trusts the
model: a candidate is offered only on the analyzer's and the parser's word.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from safecoder.server.lsp.backend import BackendError, CompletionBackend, GenerationQuery
from safecoder.server.lsp.diagnostics import cwe_short_name
from safecoder.server.lsp.functions import (
    FunctionSpan,
    enclosing_function,
    errors_within,
    function_at_offset,
)

from safecoder.analysis.findings import Finding
from safecoder.languages import Language
from safecoder.prompts.instruction import format_instruction

logger = logging.getLogger(__name__)

_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)


@dataclass(frozen=True)
class FixOutcome:
    cwe: str
    function: FunctionSpan | None
    replacement: str | None = None
    candidates: int = 0
    refusals: Counter = field(default_factory=Counter)
    reason: str = ""

    @property
    def verified(self) -> bool:
        return self.replacement is not None


def fix_instruction(language: Language, finding: Finding, function: FunctionSpan, source: str) -> str:
    line_in_function = finding.start_line - source.count("\n", 0, function.start)
    return (
        f"Fix the security weakness in this {language.display_name} function. A static analyzer reports "
        f"{finding.cwe} ({cwe_short_name(finding.cwe)}) on line {max(line_in_function, 1)} of the function: "
        f"{finding.message} Rewrite the function so that it no longer has this weakness. Keep its name, "
        "parameters and behaviour, change only what is needed, and answer with the complete fixed "
        "function in one code block."
    )


def fix_prompt(language: Language, finding: Finding, function: FunctionSpan, source: str) -> str:
    fence = language.markdown_tags[0]
    return format_instruction(
        fix_instruction(language, finding, function, source),
        input=f"```{fence}\n{function.dedented}\n```",
        response_prefix=f"```{fence}\n",
    )


def extract_code(answer: str) -> str:
    """The code of an answer primed with an opening fence: up to the closing fence, or
    the first fenced block when the model opened a new one."""
    text = answer.strip("\n")
    if text.lstrip().startswith("```"):
        match = _FENCE.search(text)
        return match.group(1).strip("\n") if match else ""
    return text.split("```", 1)[0].rstrip()


async def propose_fix(backend: CompletionBackend, source: str, language: Language, finding: Finding,
                      candidates: int, max_tokens: int, temperature: float) -> FixOutcome:
    function = enclosing_function(source, language, finding.start_line - 1, max(finding.start_column - 1, 0))
    if function is None:
        return FixOutcome(cwe=finding.cwe, function=None,
                          reason=f"the {finding.cwe} finding is not inside a function SafeCoder can rewrite")
    query = GenerationQuery(
        prompt=fix_prompt(language, finding, function, source), language=language.id, n=candidates,
        max_tokens=max_tokens, temperature=temperature, stop=("```",), gate=None,
    )
    try:
        suggestions = await backend.complete(query)
    except BackendError as exc:
        return FixOutcome(cwe=finding.cwe, function=function, reason=str(exc))
    answers = [s.text for s in suggestions]
    return await asyncio.to_thread(verify_candidates, source, language, finding, function, answers)


def verify_candidates(source: str, language: Language, finding: Finding, function: FunctionSpan,
                      answers: list[str]) -> FixOutcome:
    from safecoder.analysis import analyze_snippet

    before = analyze_snippet(source, language.id)
    old_first = source.count("\n", 0, function.start) + 1
    old_last = old_first + function.text.count("\n")
    existing = {f.cwe for f in before.findings if _within(f, old_first, old_last)} if before.judged else {finding.cwe}
    refusals: Counter = Counter()
    seen: set[str] = set()
    for answer in answers:
        code = extract_code(answer)
        if not code.strip():
            refusals["gave no code"] += 1
            continue
        if code in seen:
            refusals["repeats another candidate"] += 1
            continue
        seen.add(code)
        reason = _refusal(source, language, finding, function, code, existing, analyze_snippet)
        if reason is None:
            return FixOutcome(cwe=finding.cwe, function=function, replacement=function.reindent(code),
                              candidates=len(answers), refusals=refusals,
                              reason=f"{finding.cwe} is no longer found and the code parses")
        refusals[reason] += 1
    summary = ", ".join(f"{reason} ({count})" for reason, count in refusals.most_common())
    where = f"`{function.name}`" if function.name else "this function"
    return FixOutcome(
        cwe=finding.cwe, function=function, candidates=len(answers), refusals=refusals,
        reason=(f"no verified fix for {finding.cwe} in {where}: of {len(answers)} "
                f"candidate{'' if len(answers) == 1 else 's'}, {summary or 'none came back'}"),
    )


def _refusal(source: str, language: Language, finding: Finding, function: FunctionSpan, code: str,
             existing: set[str], analyze_snippet) -> str | None:
    """Why `code` is not a fix, or None when it is one."""
    if code.strip() == function.dedented.strip():
        return "leaves the function unchanged"
    replacement = function.reindent(code)
    spliced = source[: function.start] + replacement + source[function.end:]
    new_end = function.start + len(replacement)
    if errors_within(spliced, language, function.start, new_end):
        return "does not parse"
    last_code = new_end - (len(replacement) - len(replacement.rstrip())) - 1
    rewritten = function_at_offset(spliced, language, max(last_code, function.start))
    if rewritten is None or (function.name is not None and rewritten.name != function.name):
        return f"does not define `{function.name}`" if function.name else "defines no function"
    result = analyze_snippet(spliced, language.id)
    if not result.judged:
        return "could not be analysed"
    first = spliced.count("\n", 0, function.start) + 1
    last = first + replacement.count("\n")
    inside = [f for f in result.findings if _within(f, first, last)]
    if any(f.cwe == finding.cwe for f in inside):
        return f"still has {finding.cwe}"
    introduced = sorted({f.cwe for f in inside} - existing)
    if introduced:
        return f"introduces {', '.join(introduced)}"
    return None


def _within(finding: Finding, first_line: int, last_line: int) -> bool:
    return finding.start_line <= last_line and finding.end_line >= first_line
