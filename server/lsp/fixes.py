"""Verified fixes for the editor: the language server's backends as the candidate source of `safecoder.repair`.

The fix itself — the function around the finding, the repair request in the paper's
instruction template, drawing candidates, and verifying each one (new code defining the
same function, no tree-sitter error in the spliced range, no finding of the CWE and no
new CWE by the analysis fast path, compiling where a checker is installed) — is
`safecoder.repair`, the one implementation that `safecoder fix` uses too. This module
only adapts a `CompletionBackend` (an HTTP server or the in-process engine) to its
`CandidateSource`: one request with `n` samples and the gate off, since the candidates
are verified afterwards.

Not here: talking to the editor (`code_actions.py`).
"""

from __future__ import annotations

from safecoder.analysis.findings import Finding
from safecoder.languages import Language
from safecoder.repair import fixer
from safecoder.repair.fixer import CandidateSourceError, FixSettings
from safecoder.repair.functions import FunctionSpan
from safecoder.repair.prompts import extract_code
from safecoder.repair.prompts import fix_prompt as _fix_prompt
from safecoder.repair.verify import FixOutcome, verify_candidates
from safecoder.server.lsp.backend import BackendError, CompletionBackend, GenerationQuery

__all__ = ["BackendCandidates", "FixOutcome", "extract_code", "fix_prompt", "propose_fix", "verify_candidates"]


class BackendCandidates:
    """A `CompletionBackend` as a `safecoder.repair` candidate source."""

    def __init__(self, backend: CompletionBackend):
        self.backend = backend

    async def sample(self, prompt: str, language: str, n: int, max_tokens: int, temperature: float,
                     stop: tuple[str, ...], seed: int | None) -> list[str]:
        query = GenerationQuery(prompt=prompt, language=language, n=n, max_tokens=max_tokens,
                                temperature=temperature, stop=stop, gate=None, seed=seed)
        try:
            return [suggestion.text for suggestion in await self.backend.complete(query)]
        except BackendError as exc:
            raise CandidateSourceError(str(exc)) from None


def fix_prompt(language: Language, finding: Finding, function: FunctionSpan, source: str) -> str:
    """The request the editor sends: the CWE, the flagged line and the analyzer's message."""
    return _fix_prompt(language, function, "line", finding, source)


async def propose_fix(backend: CompletionBackend, source: str, language: Language, finding: Finding,
                      candidates: int, max_tokens: int, temperature: float) -> FixOutcome:
    settings = FixSettings(candidates=candidates, max_tokens=max_tokens, temperature=temperature)
    return await fixer.propose_fix(BackendCandidates(backend), source, language, finding, settings)
