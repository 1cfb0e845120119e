"""Steering: a prompt that names the weakness the gate found, for a second set of candidates.

Why: measured on the default model (Qwen2.5-Coder-0.5B-Instruct) over the 66 security
scenarios, the gate's plain rerank found no clean alternative for 108 of the 129 samples
it flagged: at temperature the model writes the same weakness k times, because the code
before the cursor leads it there. Its secure-and-correct share did not move (42.7 off,
42.0 on). Naming the weakness changes what the model is conditioned on instead of hoping
that sampling wanders off the pattern.

How: the hint is one comment line in the code's own language, placed where the weakness
is, with that line's indentation:

    # Security: do not write CWE-089 (SQL Injection): <the analyzer's message>. Write it safely.
    cursor.execute(

Where the model's own draw has lines before its first flagged line, those lines are kept
(`at_the_flagged_line`): the steered prompt is the engine prompt, the kept lines and the
hint, and each steered candidate is the kept lines followed by what the model writes
after the hint. Why: measured on the 66 security scenarios, candidates steered from the
cursor rewrote the whole completion and a third of the clean ones no longer did the task
(secure-pass fell while the secure share rose); the kept lines are the model's own code,
which did the task, so only the weak line and what follows it are written again. Where
the first flagged line is the cursor's own line, the hint goes before the cursor's line
of the prefix instead (`steered_prompt`); the prefix must occur verbatim in the engine
prompt (the prefix alone, the model's fill-in-the-middle template, or a chat prompt
ending in code), otherwise there is no steered prompt.

The code the user wrote is unchanged and the hint is never returned: only the engine's
prompt carries it, the steered candidates are judged exactly like the others
(`safecoder.suggest.gate`), and a candidate that repeats the hint is dropped
(`repeats_the_hint`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from safecoder import cwe as cwe_catalog
from safecoder.analysis.findings import Finding
from safecoder.languages import maybe_language_of

# What steering does, in cache keys and result hashes: 1 put the hint before the cursor's
# line; 2 puts it at the draw's first flagged line and keeps the lines before it.
STEERING_VERSION = 2
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


@dataclass(frozen=True)
class SteeredContinuation:
    """A steered prompt that continues the model's own draw: `kept` comes before each candidate."""

    prompt: str
    kept: str


def at_the_flagged_line(prompt: str, draw: str, first_line: int, findings: Sequence[Finding],
                        hint: str) -> SteeredContinuation | None:
    """`prompt` continued with the lines of `draw` before its first flagged line and `hint`
    indented like that line (None where the first flagged line is the draw's first, the
    cursor's line, or is not in the draw). `first_line`: the file line the draw starts on,
    the numbering of the findings' lines."""
    if not findings:
        return None
    lines = draw.split("\n")
    index = min(f.start_line for f in findings) - first_line
    if not 1 <= index < len(lines):
        return None
    kept = "\n".join(lines[:index]) + "\n"
    flagged = lines[index]
    indent = flagged[:len(flagged) - len(flagged.lstrip(" \t"))]
    return SteeredContinuation(prompt + kept + indent + hint + "\n", kept)
