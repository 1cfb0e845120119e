"""Steering: a prompt that names the weakness the gate found, for a second set of candidates.

Why: measured on the default model (Qwen2.5-Coder-0.5B-Instruct) over the 66 security
scenarios, the gate's plain rerank found no clean alternative for 108 of the 129 samples
it flagged: at temperature the model writes the same weakness k times, because the code
before the cursor leads it there. Its secure-and-correct share did not move (42.7 off,
42.0 on). Naming the weakness changes what the model is conditioned on instead of hoping
that sampling wanders off the pattern.

How: the hint is one comment line in the code's own language, placed at the start of
the line holding the cursor, with that line's indentation:

    # Security: do not write CWE-089 (SQL Injection) here: <the analyzer's message>
    cursor.execute(

The code the user wrote is unchanged and the hint is never returned: only the engine's
prompt carries it, the candidates drawn from it are spliced after the original prefix
and judged exactly like the others (`safecoder.suggest.gate`), and a candidate that
repeats the hint is dropped (`repeats_the_hint`). The prefix must
occur verbatim in the engine prompt (the prefix alone, the model's fill-in-the-middle
template, or a chat prompt ending in code); otherwise there is no steered prompt.
"""

from __future__ import annotations

from collections.abc import Sequence

from safecoder import cwe as cwe_catalog
from safecoder.analysis.findings import Finding
from safecoder.languages import maybe_language_of

MAX_HINTED_CWES = 2  # more names make a longer comment the small models ignore
MAX_MESSAGE_CHARS = 160
HINT_MARK = "Security: do not write"  # every hint holds it; a candidate that repeats it is refused


def security_hint(findings: Sequence[Finding], language: str) -> str | None:
    """One comment line naming the findings' weaknesses (None: no findings or no comment syntax)."""
    spec = maybe_language_of(language)
    if spec is None or not findings:
        return None
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding.cwe, finding)
    parts = []
    for cwe, finding in list(seen.items())[:MAX_HINTED_CWES]:
        message = " ".join(finding.message.split())[:MAX_MESSAGE_CHARS].rstrip(". ")
        parts.append(f"{cwe} ({cwe_catalog.short_name(cwe)})" + (f": {message}" if message else ""))
    return f"{spec.line_comment} {HINT_MARK} " + "; ".join(parts) + ". Write it safely."


def repeats_the_hint(text: str) -> bool:
    """Whether a steered candidate copied the hint: measured on the default model, some
    steered candidates were the comment again and no code (secure because they do
    nothing, and the hint would reach the user), so they are never offered."""
    return HINT_MARK in text


def steered_prompt(prompt: str, prefix: str, hint: str) -> str | None:
    """`prompt` with `hint` as its own line before the cursor's line of `prefix` (None where
    `prefix` is not in `prompt`)."""
    if not prefix:
        return None
    at = prompt.rfind(prefix)
    if at < 0:
        return None
    line_start = prefix.rfind("\n") + 1
    current = prefix[line_start:]
    indent = current[:len(current) - len(current.lstrip(" \t"))]
    position = at + line_start
    return prompt[:position] + indent + hint + "\n" + prompt[position:]
