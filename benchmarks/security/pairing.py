"""The gate's effect on the same draws: the model alone and the gate on, sample by sample.

Why: two runs of the benchmark, one with the gate off and one with it on, do not draw the
same samples. The engine batches concurrent requests, which moves log-probabilities by
~0.1 and so flips seeded draws (`safecoder.engines.llama_batching`); the gate's run also
cuts each sample at its function's end as it draws. Measured on the default model, 325 of
330 samples differed between such runs, so a comparison of the two carries the sampling
noise of 330 samples twice (about 4 points of secure-pass) while the gate changes about
50 samples. A gated run records, per sample, what the gate did and the model's own draw
where it returned another (`gate.sample_actions`, `gate.own_samples`). Putting those draws
back gives the model alone on exactly the gate's draws (`own_record`); judging both the
same way leaves the gate's own effect.

Input: a scenario, its gated record and the judged twin record (`own_record`'s, after the
runner judged, tested and attacked it). Output: per sample, whether it is secure (the
exploit test's verdict where it ran, else the static judge's) and whether it works (None:
not tested) (`sample_outcomes`); and for a set of scenarios the counts of samples the gate
replaced, by what each was before and after (`transitions`), also per gate action
(`transitions_by_action`); and what a floor on how much of the draw a replacement keeps
would have done (`kept_floors`): every replacement that kept less of the model's own draw
than the floor put back, the rest as the gate chose. The gate's own floor may pick another
clean candidate that keeps more instead, so a floor's row here is the least it keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from safecoder.benchmarks.security.exploit_tests import Verdict
from safecoder.benchmarks.security.judge import Judgment
from safecoder.benchmarks.security.truncation import cut_completion, judged_program
from safecoder.data.scenarios import Scenario


def own_samples(record: dict) -> list[str] | None:
    """The model's own draws behind a gated record's samples (None: not a gated record, or
    one written before the gate recorded them)."""
    gate = record.get("gate") or {}
    owns = gate.get("own_samples")
    if owns is None or len(owns) != len(record["samples"]):
        return None
    return [own if own is not None else sample for own, sample in zip(owns, record["samples"], strict=True)]


@dataclass(frozen=True)
class SampleOutcome:
    secure: bool  # the exploit test's verdict where it ran, else the static judge's (the `combined` judge)
    works: bool | None  # the functional test's or the benign request's outcome; None: not tested

    @property
    def secure_and_works(self) -> bool:
        return self.secure and bool(self.works)


def sample_outcomes(scenario: Scenario, record: dict, correct: Sequence[bool | None] | None) -> list[SampleOutcome]:
    """Per sample of a judged record, its outcome (from its program's judgments)."""
    index = {entry["code"]: i for i, entry in enumerate(record["programs"])}
    judgments = [Judgment.from_dict(j) for j in record["judgments"]]
    dynamic = record.get("dynamic")
    verdicts = [Verdict(**v) for v in dynamic["verdicts"]] if dynamic else None
    outcomes = []
    for sample in record["samples"]:
        code = judged_program(scenario.file_context, scenario.func_context,
                              cut_completion(sample, scenario.source_extension))
        i = index[code]
        judgment = judgments[i]
        attacked = verdicts[i].secure if verdicts else None
        secure = judgment.parseable and (attacked if attacked is not None else judgment.secure_for(scenario.cwe))
        outcomes.append(SampleOutcome(bool(secure), correct[i] if correct is not None else None))
    return outcomes


@dataclass
class Transitions:
    """Samples the gate replaced, by their outcome before (the model's own) and after."""

    replaced: int = 0
    secure_before: int = 0
    secure_after: int = 0
    tested: int = 0  # replaced samples of scenarios with a test: both sides tested
    secure_and_works_before: int = 0
    secure_and_works_after: int = 0
    works_before: int = 0
    works_after: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def replaced(record: dict) -> list[bool]:
    """Per sample of a gated record, whether the gate returned another candidate than the draw."""
    return [own is not None for own in (record.get("gate") or {}).get("own_samples") or ()]


def transitions(pairs: Iterable[tuple[Sequence[SampleOutcome], Sequence[SampleOutcome], Sequence[bool]]]
                ) -> Transitions:
    """Counts over (own outcomes, gated outcomes, which samples were replaced) of every scenario."""
    counts = Transitions()
    for own, gated, was_replaced in pairs:
        for before, after, swapped in zip(own, gated, was_replaced, strict=True):
            if not swapped:
                continue
            counts.replaced += 1
            counts.secure_before += before.secure
            counts.secure_after += after.secure
            if before.works is not None and after.works is not None:
                counts.tested += 1
                counts.works_before += before.works
                counts.works_after += after.works
                counts.secure_and_works_before += before.secure_and_works
                counts.secure_and_works_after += after.secure_and_works
    return counts


def transitions_by_action(pairs: Sequence[tuple[Sequence[SampleOutcome], Sequence[SampleOutcome], Sequence[bool],
                                                Sequence[str]]]) -> dict[str, Transitions]:
    """`transitions` per gate action (`reranked`, `reranked+hinted`, `annotated`, ...) over
    (own outcomes, gated outcomes, which samples were replaced, per-sample actions)."""
    kinds = sorted({action for _, _, swapped, actions in pairs
                    for action, was in zip(actions, swapped, strict=True) if was})
    return {kind: transitions((own, gated, [was and action == kind for was, action in zip(swapped, actions,
                                                                                          strict=True)])
                              for own, gated, swapped, actions in pairs)
            for kind in kinds}


def sample_kept(record: dict) -> list[float | None] | None:
    """Per sample of a gated record, how much of the model's own draw the returned candidate
    kept (`safecoder.suggest.kept`; None: not replaced, or replaced by an unjudged one);
    None for records written before the gate recorded it."""
    kept = (record.get("gate") or {}).get("sample_kept")
    return kept if kept is not None and len(kept) == len(record["samples"]) else None


@dataclass(frozen=True)
class FloorPoint:
    """The gate's samples with every replacement that kept less than `min_kept` put back
    (None: every replacement put back, the model alone)."""

    min_kept: float | None
    replaced: int  # samples still replaced
    samples: int
    tested: int  # samples with a test
    secure: float  # percent of the samples
    works: float  # percent of the tested samples
    secure_and_works: float  # percent of the tested samples

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_FLOORS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def kept_floors(pairs: Sequence[tuple[Sequence[SampleOutcome], Sequence[SampleOutcome], Sequence[bool],
                                      Sequence[float | None]]],
                floors: Sequence[float] = DEFAULT_FLOORS) -> list[FloorPoint]:
    """Over (own outcomes, gated outcomes, which samples were replaced, kept share per
    sample) of every scenario, one point per floor and a last one for the model alone. A
    replacement without a share (an unjudged candidate) is not a clean one the floor
    weighs: it stays at every floor."""
    def point(floor: float | None) -> FloorPoint:
        samples = tested = still_replaced = secure = works = secure_and_works = 0
        for own, gated, swapped, kept in pairs:
            for before, after, was, share in zip(own, gated, swapped, kept, strict=True):
                stays = was and floor is not None and (share is None or share >= floor)
                outcome = after if stays else before
                samples += 1
                still_replaced += stays
                secure += outcome.secure
                if outcome.works is not None:
                    tested += 1
                    works += outcome.works
                    secure_and_works += outcome.secure_and_works
        return FloorPoint(floor, still_replaced, samples, tested, _percent(secure, samples),
                          _percent(works, tested), _percent(secure_and_works, tested))

    return [*(point(floor) for floor in floors), point(None)]


def _percent(count: int, total: int) -> float:
    return round(100.0 * count / total, 1) if total else 0.0
