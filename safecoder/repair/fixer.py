"""The verified-fix loop: draw rewrites of the function around a finding, keep the first verified one.

Input: a `CandidateSource` (anything that turns a prompt into sampled texts: the editor's
and `safecoder fix`'s backends, the served model over HTTP or an engine in process), the
source, its language, one finding, and `FixSettings`. Steps:

1. the function around the finding (`functions.enclosing_function`); none, no fix;
2. the repair request (`prompts.fix_prompt`, hint `line`);
3. up to `candidates` answers, drawn `per_request` at a time (each round with its own
   seed), each verified (`verify.verify_candidates`) until one passes.

Output: a `FixOutcome`. A source that cannot answer (`CandidateSourceError`) gives an
unverified outcome whose reason is its message. This is the one implementation behind
`safecoder fix` and the editor's "Fix with SafeCoder".
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from safecoder.analysis.compilers import CompilerPolicy
from safecoder.analysis.findings import Finding
from safecoder.config import ConfigError
from safecoder.errors import SafeCoderError
from safecoder.languages import Language
from safecoder.repair.functions import enclosing_function
from safecoder.repair.prompts import STOP, fix_prompt
from safecoder.repair.verify import FixOutcome, Judge, fast_judge, refused, verify_candidates


class CandidateSourceError(SafeCoderError):
    """The candidate source cannot answer (server down, key refused, model missing)."""


class CandidateSource(Protocol):
    async def sample(self, prompt: str, language: str, n: int, max_tokens: int, temperature: float,
                     stop: tuple[str, ...], seed: int | None) -> list[str]:
        """`n` answers to `prompt` (raises `CandidateSourceError` when it cannot answer)."""
        ...


@dataclass(frozen=True)
class FixSettings:
    candidates: int = field(default=3, metadata={"help": "rewrites drawn at most per finding (k)"})
    per_request: int = field(default=0, metadata={
        "help": "rewrites asked for in one request (0: all k at once); later rounds run only while none is verified"})
    max_tokens: int = field(default=384, metadata={"help": "longest rewritten function, in tokens"})
    temperature: float = field(default=0.4, metadata={"help": "sampling temperature of the rewrites"})
    seed: int | None = field(default=None, metadata={"help": "seed of the first round (later rounds add 1)"})
    compilers: CompilerPolicy = field(default="auto", metadata={
        "help": "auto: also compile with node/gofmt/javac/ruby where installed; always: add gcc; never"})

    def __post_init__(self) -> None:
        if self.candidates < 1:
            raise ConfigError(f"candidates must be at least 1, got {self.candidates}")
        if self.per_request < 0:
            raise ConfigError(f"per_request must be 0 (all at once) or positive, got {self.per_request}")
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1, got {self.max_tokens}")
        if not 0.0 <= self.temperature <= 2.0:
            raise ConfigError(f"temperature must be between 0 and 2, got {self.temperature}")
        if self.compilers not in ("auto", "always", "never"):
            raise ConfigError(f"compilers must be auto, always or never, got {self.compilers!r}")


async def propose_fix(candidates: CandidateSource, source: str, language: Language, finding: Finding,
                      settings: FixSettings, *, judge: Judge = fast_judge, name: str = "") -> FixOutcome:
    function = enclosing_function(source, language, finding.start_line - 1, max(finding.start_column - 1, 0))
    if function is None:
        return FixOutcome(cwe=finding.cwe, function=None,
                          reason=f"the {finding.cwe} finding is not inside a function SafeCoder can rewrite")
    prompt = fix_prompt(language, function, "line", finding, source)
    per_request = settings.per_request or settings.candidates
    drawn, round_number = 0, 0
    refusals: Counter = Counter()
    seen: set[str] = set()
    while drawn < settings.candidates:
        n = min(per_request, settings.candidates - drawn)
        seed = None if settings.seed is None else settings.seed + round_number
        try:
            answers = await candidates.sample(prompt, language.id, n, settings.max_tokens, settings.temperature,
                                              STOP, seed)
        except CandidateSourceError as exc:
            if drawn:
                break
            return FixOutcome(cwe=finding.cwe, function=function, reason=str(exc))
        outcome = await asyncio.to_thread(verify_candidates, source, language, finding, function, answers,
                                          judge=judge, compilers=settings.compilers, name=name, seen=seen)
        if outcome.verified:
            accepted = drawn + (outcome.accepted or 0)
            return FixOutcome(cwe=outcome.cwe, function=function, replacement=outcome.replacement,
                              candidates=drawn + len(answers), accepted=accepted,
                              refusals=refusals + outcome.refusals, reason=outcome.reason)
        refusals += outcome.refusals
        drawn += len(answers) or n
        round_number += 1
    return refused(finding, function, drawn, refusals)
