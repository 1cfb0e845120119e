"""One suggestion path: prompt -> draw candidates -> judge -> choose, for every caller.

Inputs: an engine (`safecoder.engines.base.Engine`, nothing engine-specific), a
`SecurityGate` and its mode, the request's `SamplingParams`, and either the code around
the cursor (`plan_completion`) or a prompt with its own check and cut (chat answers,
benchmark scenarios). Output: a `GateReport`, one `GateOutcome` per requested choice.

1. `plan_completion` makes a code completion concrete for one engine: the engine prompt
   (fill-in-the-middle in the model's own format, or the prefix alone; `infill`), the
   suffix's anchor as an extra stop string (`CompletionPlan.sampling`), the `finish` that
   cuts each text where it repeats the code after the cursor or leaves the cursor's block,
   and the `CompletionCheck` that judges prefix + candidate + suffix.
2. `suggest` has the gate draw candidates from the engine (`engine_draw`), judge them in
   worker threads (`judge`, the analysis fast path) and choose one per choice (`choose`).
   For a completion it also gives the gate a steered draw (`steered_draw`): the same
   engine prompt with a comment naming the weakness where the model's own draw had it.

Callers: the HTTP server (`safecoder.server.serving`, which adds model names, admission,
metrics, wire formats and streaming), the language server's in-process backend
(`safecoder.server.lsp.engine_backend`) and the security benchmark's `--gate`
(`safecoder.benchmarks.security.runner`, with the scenario's own check and cut).

Not here: HTTP, LSP, streaming text as it is generated (`judge_shown` covers its verdicts),
or which gate mode a request may choose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from safecoder.analysis.findings import Finding
from safecoder.engines.base import Engine, SamplingParams
from safecoder.suggest.gate import (
    Analyzer,
    Candidate,
    Check,
    CompletionCheck,
    Draw,
    Finish,
    GateMode,
    GateReport,
    SecurityGate,
    Steered,
    engine_draw,
)
from safecoder.suggest.infill import Infill, infill_from_split, infill_prompt, split_sentinels
from safecoder.suggest.steering import (
    at_the_flagged_line,
    repeats_the_hint,
    security_hint,
    steered_prompt,
)


@dataclass(frozen=True)
class CompletionPlan:
    """A code completion made concrete for one engine: what to generate from, how to cut, how to judge."""

    infill: Infill
    check: CompletionCheck

    @property
    def prompt(self) -> str:
        return self.infill.prompt

    def finish(self, text: str, stopped: bool = False) -> tuple[str, bool]:
        return self.infill.finish(text, stopped)

    def sampling(self, params: SamplingParams) -> SamplingParams:
        """`params` with the suffix's anchor added to its stop strings."""
        extra = self.infill.stop
        return dataclasses.replace(params, stop=(*params.stop, *extra)) if extra else params


def plan_completion(engine: Engine, analyzer: Analyzer | None, prompt: str, suffix: str | None = None,
                    language: str | None = None, *, read_sentinels: bool = False) -> CompletionPlan:
    """The plan for completing `prompt` (the code before the cursor) given `suffix` (after it).

    `read_sentinels`: the prompt may be a FIM template the client rendered itself (HTTP
    clients such as Continue or Tabby); without a suffix, prefix and suffix are taken back
    out of it (`split_sentinels`), so the gate judges the real code. Off for an editor's
    document, which is code: a file that mentions the sentinels is not a template.
    """
    split = split_sentinels(prompt) if read_sentinels and suffix is None else None
    if split is None:
        prefix, infill = prompt, infill_prompt(engine, prompt, suffix)
    else:
        prefix, suffix, infill = split.prefix, split.suffix, infill_from_split(engine, prompt, split)
    return CompletionPlan(infill, CompletionCheck(analyzer, prefix, suffix or "", language))


async def suggest(gate: SecurityGate, mode: GateMode, engine: Engine, prompt: str, sampling: SamplingParams,
                  check: Check, finish: Finish | None = None) -> GateReport:
    """Draw from `engine`, judge with `check`, choose under `mode` (`off` returns every draw unchecked)."""
    steered = steered_draw(engine, prompt, check, finish) if isinstance(check, CompletionCheck) else None
    return await gate.run(mode, sampling, engine_draw(engine, prompt, finish), check, steered)


def steered_draw(engine: Engine, prompt: str, check: CompletionCheck, finish: Finish | None = None) -> Steered:
    """Draws from `prompt` with a comment naming the findings of the model's own draw where
    they are: after the draw's lines before the first flagged line, which each candidate
    keeps, or before the cursor's line (`safecoder.suggest.steering`)."""

    def steered(own: str, findings: Sequence[Finding]) -> Draw | None:
        language = check.language
        hint = security_hint(findings, language) if language else None
        if hint is None:
            return None
        continuation = at_the_flagged_line(prompt, own, check.prefix.count("\n") + 1, findings, hint)
        if continuation is not None:
            kept = continuation.kept

            def after_the_kept_lines(text: str, stopped: bool) -> tuple[str, bool]:
                return finish(kept + text, stopped) if finish else (kept + text, False)

            draw = engine_draw(engine, continuation.prompt, after_the_kept_lines)
        else:
            hinted = steered_prompt(prompt, check.prefix, hint)
            if hinted is None:
                return None
            draw = engine_draw(engine, hinted, finish)

        async def without_copies_of_the_hint(sampling: SamplingParams) -> list[Candidate]:
            return [c for c in await draw(sampling) if not repeats_the_hint(c.text)]

        return without_copies_of_the_hint

    return steered
