"""Suggestions: the one path from a prompt to the text a user sees, behind the security gate.

`suggestion` is the path (`plan_completion`, then `suggest`); `gate` draws, judges and
chooses; `infill` builds fill-in-the-middle prompts and cuts middles; `code_blocks` and
`language_guess` tell the gate what code a text holds. The HTTP server, the language
server and the benchmarks call this package; it imports no stage (server, trainer,
collector, benchmarks).
"""

from safecoder.suggest.gate import (
    Candidate,
    ChatCheck,
    Check,
    CompletionCheck,
    GateMode,
    GateOutcome,
    GateReport,
    SecurityGate,
    judge_shown,
    load_analyzer,
)
from safecoder.suggest.suggestion import CompletionPlan, plan_completion, suggest

__all__ = [
    "Candidate",
    "ChatCheck",
    "Check",
    "CompletionCheck",
    "CompletionPlan",
    "GateMode",
    "GateOutcome",
    "GateReport",
    "SecurityGate",
    "judge_shown",
    "load_analyzer",
    "plan_completion",
    "suggest",
]
