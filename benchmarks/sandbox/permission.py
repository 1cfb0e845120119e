"""The explicit opt-in that every execution of generated code needs.

Model-generated programs are untrusted. Nothing in SafeCoder runs one unless the user
said so, by a flag (`--allow-code-execution`) or by setting
`SAFECODER_ALLOW_CODE_EXECUTION=1`, the way evaluation harnesses guard code execution.
This module only checks the opt-in; `executor` does the confinement.
"""

from __future__ import annotations

import os

from safecoder.errors import SafeCoderError

ALLOW_ENV = "SAFECODER_ALLOW_CODE_EXECUTION"


class CodeExecutionNotAllowedError(SafeCoderError):
    """Generated code would run, and the user has not allowed it."""


def code_execution_allowed(explicitly_allowed: bool = False) -> bool:
    return explicitly_allowed or os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")


def require_code_execution_allowed(explicitly_allowed: bool = False, purpose: str = "this benchmark") -> None:
    if not code_execution_allowed(explicitly_allowed):
        raise CodeExecutionNotAllowedError(
            f"{purpose} runs model-generated code, which is refused by default. It runs in a "
            "sandbox (own process, resource limits, no network, a temporary folder), but read "
            f"docs/benchmarks.md first; then pass --allow-code-execution or set {ALLOW_ENV}=1"
        )
