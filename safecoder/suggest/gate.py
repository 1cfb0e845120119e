"""The security gate: check candidates with static analysis before anyone sees them.

Inputs: a gate mode, the request's `SamplingParams`, a `draw` function that samples
candidates from an engine, and a `Check` that analyses one candidate in its context
(`CompletionCheck`: prefix + candidate + suffix, counting only findings on the
candidate's own lines; `ChatCheck`: every fenced code block of an answer). The analyzer
is the analysis fast path, `safecoder.analysis.analyze_snippet`.

Output: one `GateOutcome` per requested choice; `to_dict()` is the `"safecoder"` field
clients read: `{"action", "findings", "candidates", "rejected"}` with action

- `passed`: the first candidate drawn was judged and has no findings;
- `reranked`: it had findings, and the most likely candidate without findings was returned
  (`hinted`: that candidate was drawn from the prompt that names the weakness, below);
  with `min_kept` > 0 only a candidate that keeps at least that share of the draw's words
  outside its flagged lines (`safecoder.suggest.kept`: a clean candidate that dropped the
  draw's work is no fix);
- `annotated`: the model's own first candidate, returned with its findings (mode annotate,
  or rerank when no other candidate was judged clean: a candidate the analyzer could not
  judge never replaces a judged draw);
- `blocked`: the draw had findings and no candidate was judged clean (mode block); the text is withheld
  (finish_reason `content_filter`), the findings say why;
- `unchecked`: not judged (gate off, language unknown, analyzer missing, code that does
  not parse, analyzer error).

Drawing: in rerank and block modes each choice gets up to k candidates. `lazy` draws the
requested choices first and k-1 more only for choices whose candidate had findings (the
common clean case costs one analysis); `eager` draws all k at once. Either way the first
candidate is kept when it is clean, so the gate does not change what a clean model says.
Steering (`steer`, on by default): when none of a choice's k candidates is clean, k more
are drawn from a prompt that names the weakness found (`safecoder.suggest.steering`: a
comment where the model's own draw had the weakness, which keeps that draw's lines before
it) and the most likely clean one is returned; a caller
that cannot build such a prompt passes no `steered` draw and the gate reranks plainly.
"Most likely" is the mean log-probability per token. A greedy request's extra candidates
are sampled at the gate's temperature. This module knows no HTTP and no engine internals;
every caller reaches it through `safecoder.suggest.suggestion` (`suggest`), which draws with
`engine_draw`:

    gate = SecurityGate(load_analyzer(), candidates=4)
    report = await gate.run("rerank", sampling, engine_draw(engine, prompt), CompletionCheck(gate.analyzer, prefix, suffix))
    report.outcomes[0].text, report.outcomes[0].to_dict()

A live stream (text already sent to the client) cannot be reranked: `judge_shown` gives
its outcomes (judged in `annotate` mode, `unchecked` otherwise).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from safecoder.analysis.findings import AnalysisResult, Finding
from safecoder.engines.base import Engine, GenerationRequest, SamplingParams, TokenLogprob
from safecoder.suggest.code_blocks import code_blocks
from safecoder.suggest.kept import kept_share
from safecoder.suggest.language_guess import guess_language

logger = logging.getLogger(__name__)

Action = Literal["passed", "reranked", "annotated", "blocked", "unchecked"]
GateMode = Literal["off", "annotate", "rerank", "block"]
Analyzer = Callable[[str, str], AnalysisResult]
# The share of the model's own draw a clean alternative must keep to replace it
# (`safecoder.suggest.kept`); the served default, measured in docs/first-model.md.
DEFAULT_MIN_KEPT = 0.0
MAX_DRAW = 256  # the most samples one engine call may take (SamplingParams.n)
GUESS_WINDOW = 4000  # characters of the prefix that language detection looks at


@dataclass(frozen=True)
class Candidate:
    text: str
    token_count: int
    finish_reason: str
    logprob: float | None = None
    tokens: tuple[TokenLogprob, ...] = ()  # per-token log-probabilities, when the request asked

    @property
    def score(self) -> float:
        """Mean log-probability per token (higher is more likely); unknown ranks last."""
        if self.logprob is None:
            return float("-inf")
        return self.logprob / max(1, self.token_count)


@dataclass(frozen=True)
class Verdict:
    judged: bool
    findings: tuple[Finding, ...] = ()
    reason: str = ""
    flagged_lines: frozenset[int] = frozenset()  # 0-based lines of the candidate's text the findings cover

    @property
    def clean(self) -> bool:
        return self.judged and not self.findings


@dataclass(frozen=True)
class GateOutcome:
    action: Action
    candidate: Candidate
    findings: tuple[Finding, ...]
    candidates: int
    rejected: int
    hinted: bool = False  # the returned candidate came from the prompt that names the weakness
    # The model's own first draw where another candidate is returned (what the gate
    # replaced; the benchmark pairs the two). Not sent to clients.
    own: Candidate | None = None
    # Where another candidate is returned: the share of the own draw's unflagged words it
    # keeps (`safecoder.suggest.kept`). Not sent to clients.
    kept: float | None = None

    @property
    def text(self) -> str:
        return "" if self.action == "blocked" else self.candidate.text

    @property
    def finish_reason(self) -> str:
        return "content_filter" if self.action == "blocked" else _openai_finish_reason(self.candidate.finish_reason)

    def to_dict(self) -> dict:
        return {"action": self.action, "findings": [f.to_dict() for f in self.findings],
                "candidates": self.candidates, "rejected": self.rejected, "hinted": self.hinted}


@dataclass(frozen=True)
class GateReport:
    outcomes: list[GateOutcome]
    seconds: float  # time the gate added: analysis and extra draws


class Check(Protocol):
    """Analyses one candidate's text in its context (blocking; run in a thread)."""

    @property
    def can_judge(self) -> bool: ...

    def __call__(self, text: str) -> Verdict: ...


class CompletionCheck:
    """prefix + candidate + suffix, analysed as one file; findings on the candidate's lines count."""

    def __init__(self, analyzer: Analyzer | None, prefix: str, suffix: str = "", language: str | None = None):
        self.analyzer = analyzer
        self.prefix, self.suffix = prefix, suffix
        self._given_language = language

    @functools.cached_property
    def language(self) -> str | None:
        """The language given, else guessed (once, on first use) from the code around the cursor."""
        if self._given_language:
            return self._given_language
        return guess_language(self.prefix[-GUESS_WINDOW:] + "\n" + self.suffix[:GUESS_WINDOW // 4])

    @property
    def can_judge(self) -> bool:
        return self.analyzer is not None and self.language is not None

    def __call__(self, text: str) -> Verdict:
        analyzer, language = self.analyzer, self.language  # what can_judge checks
        if analyzer is None or language is None:
            return Verdict(False, reason="no analyzer or unknown language")
        first_line = self.prefix.count("\n") + 1
        last_line = first_line + text.count("\n")
        result = _analyze(analyzer, self.prefix + text + self.suffix, language)
        if not result.judged:
            return Verdict(False, reason=result.error or result.status)
        if not text.strip():
            return Verdict(True)
        findings = tuple(f for f in result.findings if f.start_line <= last_line and f.end_line >= first_line)
        return Verdict(True, findings, flagged_lines=frozenset(
            line - first_line for f in findings
            for line in range(max(f.start_line, first_line), min(f.end_line, last_line) + 1)))


class ChatCheck:
    """Every fenced code block of an answer, each in its own language."""

    def __init__(self, analyzer: Analyzer | None, language: str | None = None):
        self.analyzer = analyzer
        self.language = language

    @property
    def can_judge(self) -> bool:
        return self.analyzer is not None

    def __call__(self, text: str) -> Verdict:
        if self.analyzer is None:
            return Verdict(False, reason="no analyzer")
        findings: list[Finding] = []
        for block in code_blocks(text):
            language = block.language or self.language or guess_language(block.code)
            if language is None:
                return Verdict(False, reason=f"unknown language of a code block tagged {block.tag!r}")
            result = _analyze(self.analyzer, block.code, language)
            if not result.judged:
                return Verdict(False, reason=result.error or result.status)
            # Lines are moved to the answer's own numbering, so clients can point at them.
            offset = block.start_line - 1
            findings.extend(dataclasses.replace(f, start_line=f.start_line + offset, end_line=f.end_line + offset)
                            for f in result.findings)
        return Verdict(True, tuple(findings), flagged_lines=frozenset(
            line - 1 for f in findings for line in range(f.start_line, f.end_line + 1)))


Draw = Callable[[SamplingParams], Awaitable[list[Candidate]]]
Finish = Callable[[str, bool], tuple[str, bool]]
# A draw whose prompt names the findings of the model's own draw (its text, its findings).
Steered = Callable[[str, Sequence[Finding]], Draw | None]
STEER_SEED_OFFSET = 1000  # steered draws' seeds stay apart from the plain extra draws'


def engine_draw(engine: Engine, prompt: str, finish: Finish | None = None) -> Draw:
    """A `Draw` that samples candidates for `prompt` from an engine.

    `finish(text, stopped)` may rewrite each text (fill-in-the-middle trimming) and says
    whether it cut it, which turns the candidate's finish reason into `stop`.
    """

    async def draw(sampling: SamplingParams) -> list[Candidate]:
        result = await engine.generate(GenerationRequest(prompt, sampling))
        candidates = []
        for completion in result.completions:
            text, cut = finish(completion.text, completion.finish_reason == "stop") if finish else (completion.text, False)
            candidates.append(Candidate(text, completion.token_count, "stop" if cut else completion.finish_reason,
                                        completion.logprob, completion.tokens))
        return candidates

    return draw


class SecurityGate:
    def __init__(self, analyzer: Analyzer | None, candidates: int = 4, draw: str = "lazy",
                 temperature: float = 0.7, steer: bool = True, min_kept: float = DEFAULT_MIN_KEPT):
        if not 0.0 <= min_kept <= 1.0:
            raise ValueError(f"min_kept (the share of the draw a clean alternative must keep) must be in [0, 1], "
                             f"got {min_kept}")
        self.analyzer = analyzer
        self.k = candidates
        self.draw_policy = draw
        self.temperature = temperature
        self.steer = steer
        self.min_kept = min_kept

    async def run(self, mode: GateMode, sampling: SamplingParams, draw: Draw, check: Check,
                  steered: Steered | None = None) -> GateReport:
        """Draw, judge and choose `sampling.n` choices under `mode`.

        `steered(text, findings)` gives a draw from a prompt naming the findings of the
        model's own draw `text` (None where the caller has none); used when no candidate
        of a choice is clean."""
        n = sampling.n
        if mode == "off" or not check.can_judge:
            candidates = await draw(sampling)
            return GateReport([GateOutcome("unchecked", c, (), 1, 0) for c in candidates], 0.0)
        ranked = mode in ("rerank", "block") and self.k > 1
        first_sampling = dataclasses.replace(sampling, logprobs=ranked)
        extras_per_choice = self.k - 1 if ranked else 0
        if ranked and self.draw_policy == "eager":
            first, extras = await asyncio.gather(draw(first_sampling),
                                                 self._draw_extras(draw, sampling, n * extras_per_choice))
            started = time.perf_counter()
            verdicts = await judge(check, first + extras)
            groups = [[(first[i], verdicts[i])] for i in range(n)]
            for j, pair in enumerate(zip(extras, verdicts[n:], strict=True)):
                groups[j // extras_per_choice].append(pair)
            gate_seconds = time.perf_counter() - started
        else:
            first = await draw(first_sampling)
            started = time.perf_counter()
            verdicts = await judge(check, first)
            groups = [[(first[i], verdicts[i])] for i in range(n)]
            rejected = [i for i in range(n) if verdicts[i].findings]
            if ranked and rejected:
                extras = await self._draw_extras(draw, sampling, len(rejected) * extras_per_choice)
                extra_verdicts = await judge(check, extras)
                for j, pair in enumerate(zip(extras, extra_verdicts, strict=True)):
                    groups[rejected[j // extras_per_choice]].append(pair)
            gate_seconds = time.perf_counter() - started
        outcomes = [choose(mode, group, self.min_kept) for group in groups]
        if ranked and self.steer and steered is not None:
            started = time.perf_counter()
            outcomes = await self._steer(sampling, groups, outcomes, steered, check)
            gate_seconds += time.perf_counter() - started
        outcomes = [outcome if outcome.candidate is group[0][0] else dataclasses.replace(outcome, own=group[0][0])
                    for outcome, group in zip(outcomes, groups, strict=True)]
        return GateReport(outcomes, gate_seconds)

    async def _steer(self, sampling: SamplingParams, groups: list[list[tuple[Candidate, Verdict]]],
                     outcomes: list[GateOutcome], steered: Steered, check: Check) -> list[GateOutcome]:
        """Outcomes with each choice that found no clean candidate given k steered ones."""
        stuck = [i for i, outcome in enumerate(outcomes) if outcome.action in ("annotated", "blocked")]

        async def one(index: int) -> GateOutcome:
            outcome = outcomes[index]
            own, own_verdict = groups[index][0]  # stuck means it had findings (`choose`)
            hinted_draw = steered(own.text, own_verdict.findings or outcome.findings)
            if hinted_draw is None:
                return outcome
            candidates = await hinted_draw(self.extra_sampling(sampling, self.k, STEER_SEED_OFFSET + index))
            verdicts = await judge(check, candidates)
            # A steered draw may hand back fewer than k (those that copied the hint are
            # dropped): they were drawn, and they count as rejected.
            drawn = outcome.candidates + max(self.k, len(candidates))
            rejected = outcome.rejected + max(0, self.k - len(candidates)) + sum(1 for v in verdicts if v.findings)
            clean = faithful(own, own_verdict, [c for c, v in zip(candidates, verdicts, strict=True) if v.clean],
                             self.min_kept)
            if clean:
                best, kept = max(clean, key=lambda pair: pair[0].score)
                return GateOutcome("reranked", best, (), drawn, rejected, hinted=True, kept=kept)
            return dataclasses.replace(outcome, candidates=drawn, rejected=rejected)

        steered_outcomes = await asyncio.gather(*(one(i) for i in stuck))
        result = list(outcomes)
        for index, outcome in zip(stuck, steered_outcomes, strict=True):
            result[index] = outcome
        return result

    async def _draw_extras(self, draw: Draw, sampling: SamplingParams, count: int) -> list[Candidate]:
        if count <= 0:
            return []
        extras: list[Candidate] = []
        call = 0
        while len(extras) < count:
            size = min(MAX_DRAW, count - len(extras))
            extras.extend(await draw(self.extra_sampling(sampling, size, call)))
            call += 1
        return extras

    def extra_sampling(self, sampling: SamplingParams, n: int, call: int = 0) -> SamplingParams:
        """Sampling for the extra candidates: the request's, made random when it was greedy."""
        temperature = sampling.temperature if not sampling.greedy else self.temperature
        top_p = sampling.top_p if not sampling.greedy else 0.95
        seed = None if sampling.seed is None else sampling.seed + 1 + call
        return dataclasses.replace(sampling, n=n, temperature=temperature, top_p=top_p, seed=seed, logprobs=True)


def choose(mode: GateMode, group: Sequence[tuple[Candidate, Verdict]], min_kept: float = 0.0) -> GateOutcome:
    """The outcome for one choice from its candidates (the first one is the model's own draw).
    A clean alternative must keep at least `min_kept` of the draw's unflagged words."""
    first, first_verdict = group[0]
    drawn, rejected = len(group), sum(1 for _, v in group if v.findings)
    if not first_verdict.judged:
        return GateOutcome("unchecked", first, (), drawn, rejected)
    if not first_verdict.findings:
        return GateOutcome("passed", first, (), drawn, rejected)
    if mode == "annotate":
        return GateOutcome("annotated", first, first_verdict.findings, drawn, rejected)
    alternatives = group[1:]
    clean = faithful(first, first_verdict, [c for c, v in alternatives if v.clean], min_kept)
    if clean:
        best, kept = max(clean, key=lambda pair: pair[0].score)
        return GateOutcome("reranked", best, (), drawn, rejected, kept=kept)
    # No clean alternative: the model's own draw with its findings. Another flagged
    # candidate would change the code without making it safer (measured on the security
    # scenarios: such swaps lost more working code than they gained). Nor does one the
    # analyzer could not judge: that is mostly code that does not parse (a truncated
    # function, prose, a stray fence), and on the shipped model's own draws each such swap
    # lost the draw's working code or left it as it was (docs/first-model.md, "Unjudged
    # replacements"), while the flagged draw's findings tell the user what to fix.
    action: Action = "blocked" if mode == "block" else "annotated"
    return GateOutcome(action, first, first_verdict.findings, drawn, rejected)


def faithful(own: Candidate, own_verdict: Verdict, clean: Sequence[Candidate],
             min_kept: float) -> list[tuple[Candidate, float]]:
    """The clean candidates that keep at least `min_kept` of the own draw's unflagged words,
    each with that share. Why a floor: a clean candidate that dropped the draw's work is
    not a fix (`safecoder.suggest.kept`)."""
    shares = [(c, kept_share(own.text, c.text, own_verdict.flagged_lines)) for c in clean]
    return [(c, share) for c, share in shares if share >= min_kept]


async def judge(check: Check, candidates: Sequence[Candidate]) -> list[Verdict]:
    """Verdicts for candidates, analysed in worker threads (the analyzer blocks)."""
    if not candidates:
        return []
    cache: dict[str, asyncio.Future] = {}
    for candidate in candidates:
        if candidate.text not in cache:
            cache[candidate.text] = asyncio.ensure_future(asyncio.to_thread(check, candidate.text))
    return [await cache[c.text] for c in candidates]


async def judge_shown(mode: GateMode, check: Check, candidates: Sequence[Candidate]) -> list[GateOutcome]:
    """Outcomes for candidates the client has already seen (a live stream): `annotate` judges
    them; no other mode can change text already sent, so they stay `unchecked`."""
    if mode != "annotate":
        return [GateOutcome("unchecked", c, (), 1, 0) for c in candidates]
    verdicts = await judge(check, candidates)
    return [choose("annotate", [(c, v)]) for c, v in zip(candidates, verdicts, strict=True)]


def load_analyzer() -> Analyzer | None:
    """The analysis fast path, or None (with a warning) when it is not installed."""
    try:
        from safecoder.analysis import analyze_snippet
    except ImportError as exc:
        logger.warning("the security gate has no analyzer (%s): every choice will be `unchecked`", exc)
        return None
    return analyze_snippet


def _analyze(analyzer: Analyzer, code: str, language: str) -> AnalysisResult:
    try:
        return analyzer(code, language)
    except Exception as exc:  # an analyzer failure must never fail the request
        logger.warning("the analyzer failed on a %s candidate: %s", language, exc)
        return AnalysisResult(source="candidate", language=language, status="error", error=str(exc))


def _openai_finish_reason(reason: str) -> str:
    return "stop" if reason == "cancelled" else reason
