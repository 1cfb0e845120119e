"""The repair request: what the model is asked, at three levels of help, and how its code is read back.

`fix_prompt(language, function, hint, finding=None, source="")` wraps the dedented
function in the paper's instruction template (what SafeCoder models are trained on),
primes the answer with a code fence, and asks for the complete fixed function. `hint`
decides what the request names:

- `none`: only that the function has a security weakness;
- `cwe`: the weakness's CWE and its name ("CWE-089 (SQL Injection)");
- `line`: the CWE, the line of the function the analyzer flagged, and its message (what
  `safecoder fix` and the editor's "Fix with SafeCoder" send).

`classify_prompt(language, code)` asks for the CWE of a function (or "none") instead.
`extract_code(answer)` reads the code back from an answer primed with a fence.

Not here: generating (the caller's candidate source) or judging (`verify`).
"""

from __future__ import annotations

import re
from typing import Literal

from safecoder import cwe as cwe_catalog
from safecoder.analysis.findings import Finding
from safecoder.languages import Language
from safecoder.prompts.instruction import format_instruction
from safecoder.repair.functions import FunctionSpan

Hint = Literal["none", "cwe", "line"]
HINTS: tuple[Hint, ...] = ("none", "cwe", "line")
# Generation stops at the fence that closes the primed code block.
STOP = ("```",)

_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)


def fix_instruction(language: Language, function: FunctionSpan, hint: Hint = "line", finding: Finding | None = None,
                    source: str = "") -> str:
    """The instruction of a repair request; `cwe` and `line` need the finding."""
    if hint not in HINTS:
        raise ValueError(f"hint must be one of {', '.join(HINTS)}, got {hint!r}")
    head = f"Fix the security weakness in this {language.display_name} function."
    tail = ("Keep its name, parameters and behaviour, change only what is needed, and answer with the complete "
            "fixed function in one code block.")
    if hint == "none":
        return f"{head} Rewrite the function so that it no longer has a security weakness. {tail}"
    if finding is None:
        raise ValueError(f"hint {hint!r} names the weakness, so it needs the finding")
    named = f"{finding.cwe} ({cwe_catalog.short_name(finding.cwe)})"
    if hint == "cwe":
        return f"{head} It has the weakness {named}. Rewrite the function so that it no longer has this weakness. {tail}"
    line_in_function = finding.start_line - source.count("\n", 0, function.start)
    return (f"{head} A static analyzer reports {named} on line {max(line_in_function, 1)} of the function: "
            f"{finding.message} Rewrite the function so that it no longer has this weakness. {tail}")


def fix_prompt(language: Language, function: FunctionSpan, hint: Hint = "line", finding: Finding | None = None,
               source: str = "") -> str:
    fence = language.markdown_tags[0]
    return format_instruction(
        fix_instruction(language, function, hint, finding, source),
        input=f"```{fence}\n{function.dedented}\n```",
        response_prefix=f"```{fence}\n",
    )


def classify_prompt(language: Language, code: str) -> str:
    """Ask for the function's CWE identifier, or `none`."""
    fence = language.markdown_tags[0]
    # No concrete identifier as the example: with "for example CWE-089" the default model
    # answered CWE-089 for 55 of 60 functions, whatever their weakness (classify-1).
    instruction = (f"Does this {language.display_name} function have a security weakness? Answer with its CWE "
                   "identifier only, written CWE- and the weakness's number, or with the word none if it has "
                   "no weakness.")
    return format_instruction(instruction, input=f"```{fence}\n{code.strip(chr(10))}\n```", response_prefix="Answer:")


def extract_code(answer: str) -> str:
    """The code of an answer primed with an opening fence: up to the closing fence, or
    the first fenced block when the model opened a new one."""
    text = answer.strip("\n")
    if text.lstrip().startswith("```"):
        match = _FENCE.search(text)
        return match.group(1).strip("\n") if match else ""
    return text.split("```", 1)[0].rstrip()
