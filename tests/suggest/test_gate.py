"""The security gate's choices, judged by the real analyzer (`safecoder.analysis.analyze_snippet`).

The candidates here are written by hand, so each test decides which ones are insecure:
the `draw` function hands them out in place of an engine (the gate only sees texts and
log-probabilities). Everything else is real: the analyzer, its rules, the language
detection. Candidates drawn by the real model through the gate are tested in
test_vllm_server.py and test_cli_server.py.
"""

import asyncio

import pytest

from safecoder.analysis import analyze_snippet
from safecoder.engines.base import SamplingParams
from safecoder.suggest.code_blocks import code_blocks
from safecoder.suggest.gate import (
    Candidate,
    ChatCheck,
    CompletionCheck,
    SecurityGate,
    load_analyzer,
)
from safecoder.suggest.language_guess import guess_language

PREFIX = "import sqlite3\n\ndef get_user(db, name):\n    cursor = db.cursor()\n    cursor.execute("
INSECURE = "\"SELECT * FROM users WHERE name = '%s'\" % name)\n    return cursor.fetchone()\n"
INSECURE_FSTRING = "f\"SELECT * FROM users WHERE name = '{name}'\")\n    return cursor.fetchone()\n"
SECURE = "\"SELECT * FROM users WHERE name = ?\", (name,))\n    return cursor.fetchone()\n"
# Errors followed by well-formed code: broken, not merely unfinished, so the analyzer cannot judge it.
BROKEN = "\"x\")\n  }}}} ))) = = = ((( \n    return 1\n"


def candidate(text, logprob=-2.0, tokens=10):
    return Candidate(text, tokens, "stop", logprob)


class Scripted:
    """Hands out prepared candidates in draw order and records the sampling of each draw."""

    def __init__(self, *rounds):
        self.rounds = list(rounds)
        self.calls: list[SamplingParams] = []

    async def __call__(self, sampling):
        self.calls.append(sampling)
        batch = self.rounds.pop(0)
        assert len(batch) == sampling.n, "the gate asked for as many candidates as it uses"
        return batch


def run(gate, mode, sampling, draw, check):
    return asyncio.run(gate.run(mode, sampling, draw, check))


@pytest.fixture(scope="module")
def analyzer():
    found = load_analyzer()
    assert found is analyze_snippet
    return found


def test_only_findings_on_the_candidates_lines_count(analyzer):
    vulnerable_context = "import sqlite3\n\ndef old(db, n):\n    db.execute(\"SELECT %s\" % n)\n\n" + PREFIX
    check = CompletionCheck(analyzer, vulnerable_context, "\n\nprint('done')\n")
    assert check.language == "python"
    assert check(SECURE).clean, "the finding in the user's own code is not the candidate's"
    verdict = check(INSECURE)
    assert verdict.judged and {f.cwe for f in verdict.findings} == {"CWE-089"}
    assert all(f.start_line >= vulnerable_context.count("\n") + 1 for f in verdict.findings)
    assert not check(BROKEN).judged


def test_rerank_returns_the_most_likely_clean_candidate_lazily(analyzer):
    draw = Scripted([candidate(INSECURE, -1.0)],
                    [candidate(INSECURE_FSTRING, -0.5), candidate(SECURE, -4.0, 10), candidate(SECURE + "\n", -3.0, 10)])
    gate = SecurityGate(analyzer, candidates=4, draw="lazy", temperature=0.6)
    report = run(gate, "rerank", SamplingParams(max_new_tokens=32, seed=5), draw, CompletionCheck(analyzer, PREFIX))
    outcome = report.outcomes[0]
    assert outcome.action == "reranked" and outcome.text == SECURE + "\n"
    assert (outcome.candidates, outcome.rejected) == (4, 2) and outcome.findings == ()
    first, extra = draw.calls
    assert first.n == 1 and first.greedy and first.logprobs
    assert (extra.n, extra.temperature, extra.seed) == (3, 0.6, 6), "a greedy request's extras are sampled"
    assert outcome.to_dict() == {"action": "reranked", "findings": [], "candidates": 4, "rejected": 2,
                                 "hinted": False}


def test_a_clean_first_candidate_passes_without_drawing_more(analyzer):
    draw = Scripted([candidate(SECURE)])
    report = run(SecurityGate(analyzer, 4), "block", SamplingParams(), draw, CompletionCheck(analyzer, PREFIX))
    assert report.outcomes[0].action == "passed" and len(draw.calls) == 1
    assert report.outcomes[0].candidates == 1


def test_when_every_candidate_has_findings_block_withholds_and_rerank_annotates(analyzer):
    def all_insecure():
        return Scripted([candidate(INSECURE, -3.0)], [candidate(INSECURE_FSTRING, -1.0), candidate(INSECURE, -5.0)])

    check = CompletionCheck(analyzer, PREFIX)
    gate = SecurityGate(analyzer, candidates=3)
    blocked = run(gate, "block", SamplingParams(temperature=0.8), all_insecure(), check).outcomes[0]
    assert blocked.action == "blocked" and blocked.text == "" and blocked.finish_reason == "content_filter"
    assert blocked.rejected == 3 and {f.cwe for f in blocked.findings} == {"CWE-089"}
    annotated = run(gate, "rerank", SamplingParams(temperature=0.8), all_insecure(), check).outcomes[0]
    assert annotated.action == "annotated" and annotated.text == INSECURE, "the model's own draw, not another flagged one"
    assert annotated.own is None and {f.cwe for f in annotated.findings} == {"CWE-089"}
    assert annotated.findings and annotated.finish_reason == "stop"


class Steered:
    """A steered draw factory: records the findings it was asked to name, hands out `batch`."""

    def __init__(self, batch, available=True):
        self.batch, self.available = batch, available
        self.findings, self.calls, self.own = [], [], []

    def __call__(self, own, findings):
        self.own.append(own)
        self.findings.append(tuple(findings))
        if not self.available:
            return None

        async def draw(sampling):
            self.calls.append(sampling)
            assert sampling.n == len(self.batch)
            return self.batch

        return draw


def all_insecure_draw():
    return Scripted([candidate(INSECURE, -3.0)], [candidate(INSECURE_FSTRING, -1.0), candidate(INSECURE, -5.0)])


def test_steering_draws_k_more_from_the_hinted_prompt_when_no_candidate_is_clean(analyzer):
    check = CompletionCheck(analyzer, PREFIX)
    steered = Steered([candidate(INSECURE, -0.2), candidate(SECURE, -2.0), candidate(BROKEN, -0.1)])
    gate = SecurityGate(analyzer, candidates=3)
    report = asyncio.run(gate.run("block", SamplingParams(temperature=0.8, seed=7), all_insecure_draw(), check, steered))
    outcome = report.outcomes[0]
    assert outcome.action == "reranked" and outcome.hinted and outcome.text == SECURE
    assert outcome.to_dict()["hinted"] is True and outcome.findings == ()
    assert (outcome.candidates, outcome.rejected) == (6, 4), "3 plain + 3 steered; the broken one is not rejected"
    [named] = steered.findings
    assert {f.cwe for f in named} == {"CWE-089"}, "the hint names what the model's own draw had"
    assert steered.own == [INSECURE], "the steered draw continues the model's own first draw"
    assert outcome.own is not None and outcome.own.text == INSECURE, "what the gate replaced, for pairing"
    assert "own" not in outcome.to_dict(), "clients are not sent the replaced draw"
    [sampling] = steered.calls
    assert sampling.n == 3 and sampling.logprobs and sampling.seed not in (None, 7, 8)


def test_steering_that_finds_nothing_clean_keeps_the_plain_choice_and_counts_its_draws(analyzer):
    check = CompletionCheck(analyzer, PREFIX)
    steered = Steered([candidate(INSECURE_FSTRING, -0.1), candidate(INSECURE, -0.1), candidate(INSECURE, -0.3)])
    outcome = asyncio.run(SecurityGate(analyzer, 3).run(
        "rerank", SamplingParams(temperature=0.8), all_insecure_draw(), check, steered)).outcomes[0]
    assert outcome.action == "annotated" and not outcome.hinted and outcome.text == INSECURE
    assert (outcome.candidates, outcome.rejected) == (6, 6)


def test_steering_is_skipped_when_off_unavailable_or_not_needed(analyzer):
    check = CompletionCheck(analyzer, PREFIX)
    secure_batch = [candidate(SECURE)] * 3
    off = Steered(secure_batch)
    outcome = asyncio.run(SecurityGate(analyzer, 3, steer=False).run(
        "rerank", SamplingParams(temperature=0.8), all_insecure_draw(), check, off)).outcomes[0]
    assert outcome.action == "annotated" and off.findings == []
    unavailable = Steered(secure_batch, available=False)
    outcome = asyncio.run(SecurityGate(analyzer, 3).run(
        "rerank", SamplingParams(temperature=0.8), all_insecure_draw(), check, unavailable)).outcomes[0]
    assert outcome.action == "annotated" and len(unavailable.findings) == 1 and unavailable.calls == []
    clean_first = Steered(secure_batch)
    outcome = asyncio.run(SecurityGate(analyzer, 3).run(
        "rerank", SamplingParams(), Scripted([candidate(SECURE)]), check, clean_first)).outcomes[0]
    assert outcome.action == "passed" and clean_first.findings == [] and outcome.own is None
    annotate = Steered(secure_batch)
    outcome = asyncio.run(SecurityGate(analyzer, 3).run(
        "annotate", SamplingParams(), Scripted([candidate(INSECURE)]), check, annotate)).outcomes[0]
    assert outcome.action == "annotated" and annotate.findings == [], "annotate never draws more"


def test_eager_draws_all_candidates_at_once_with_the_same_choice(analyzer):
    draw = Scripted([candidate(INSECURE), candidate(SECURE)],
                    [candidate(INSECURE_FSTRING), candidate(SECURE, -0.1), candidate(SECURE), candidate(INSECURE)])
    gate = SecurityGate(analyzer, candidates=3, draw="eager")
    report = run(gate, "rerank", SamplingParams(n=2, temperature=1.0, seed=1), draw, CompletionCheck(analyzer, PREFIX))
    assert [o.action for o in report.outcomes] == ["reranked", "passed"]
    assert report.outcomes[0].text == SECURE and report.outcomes[0].candidates == 3
    assert [c.n for c in draw.calls] == [2, 4]


def test_annotate_checks_without_reranking_and_off_checks_nothing(analyzer):
    check = CompletionCheck(analyzer, PREFIX)
    draw = Scripted([candidate(INSECURE), candidate(SECURE)])
    outcomes = run(SecurityGate(analyzer, 4), "annotate", SamplingParams(n=2, temperature=1.0), draw, check).outcomes
    assert [o.action for o in outcomes] == ["annotated", "passed"] and len(draw.calls) == 1
    assert outcomes[0].text == INSECURE and outcomes[0].findings[0].rule_id

    calls = []

    def counting_analyzer(code, language):
        calls.append(code)
        return analyzer(code, language)

    off = run(SecurityGate(counting_analyzer, 4), "off", SamplingParams(), Scripted([candidate(INSECURE)]),
              CompletionCheck(counting_analyzer, PREFIX)).outcomes[0]
    assert off.action == "unchecked" and off.text == INSECURE and calls == []


def test_unjudgeable_code_is_unchecked_never_passed(analyzer):
    broken = run(SecurityGate(analyzer, 4), "block", SamplingParams(), Scripted([candidate(BROKEN)]),
                 CompletionCheck(analyzer, PREFIX)).outcomes[0]
    assert broken.action == "unchecked" and broken.text == BROKEN
    unknown = CompletionCheck(analyzer, "x")
    assert unknown.language is None and not unknown.can_judge
    missing = CompletionCheck(None, PREFIX)
    report = run(SecurityGate(None, 4), "block", SamplingParams(), Scripted([candidate(INSECURE)]), missing)
    assert report.outcomes[0].action == "unchecked"

    def crashing(code, language):
        raise RuntimeError("analyzer crashed")

    crashed = CompletionCheck(crashing, PREFIX)(INSECURE)
    assert not crashed.judged and "crashed" in crashed.reason


def test_an_alternative_the_analyzer_cannot_judge_never_replaces_a_judged_flagged_draw(analyzer):
    check = CompletionCheck(analyzer, PREFIX)
    for mode, action in (("rerank", "annotated"), ("block", "blocked")):
        draw = Scripted([candidate(INSECURE, -3.0)], [candidate(BROKEN, -0.1)])
        outcome = run(SecurityGate(analyzer, 2, steer=False), mode, SamplingParams(temperature=0.8), draw,
                      check).outcomes[0]
        assert outcome.action == action and {f.cwe for f in outcome.findings} == {"CWE-089"}
        assert outcome.candidate.text == INSECURE and outcome.own is None, "the own draw, not the broken one"
    # Not stuck on "unchecked": with no clean alternative the gate goes on to steer.
    steered = Steered([candidate(INSECURE, -0.5), candidate(SECURE, -2.0)])
    outcome = asyncio.run(SecurityGate(analyzer, 2).run(
        "rerank", SamplingParams(temperature=0.8), Scripted([candidate(INSECURE, -3.0)], [candidate(BROKEN, -0.1)]),
        check, steered)).outcomes[0]
    assert outcome.action == "reranked" and outcome.hinted and outcome.text == SECURE


def test_chat_answers_are_judged_block_by_block(analyzer):
    answer = (
        "Here is the function:\n\n"
        "```python\n"
        "def get_user(db, name):\n"
        "    return db.execute(f\"SELECT * FROM users WHERE name = '{name}'\").fetchone()\n"
        "```\n\nAnd in Go:\n\n```\npackage main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(1)\n}\n"
    )
    blocks = code_blocks(answer)
    assert [(b.language, b.start_line) for b in blocks] == [("python", 4), (None, 11)]
    verdict = ChatCheck(analyzer)(answer)
    assert verdict.judged and [f.cwe for f in verdict.findings] == ["CWE-089"]
    assert verdict.findings[0].start_line == 5, "lines are numbered within the whole answer"
    assert ChatCheck(analyzer)("No code here, just prose.").clean
    ambiguous = ChatCheck(analyzer)("```\nconst x = require('fs');\n```\n")
    assert not ambiguous.judged and "unknown language" in ambiguous.reason
    assert ChatCheck(analyzer, language="javascript")("```\nconst x = require('fs');\n```\n").clean


def test_language_guessing_needs_clear_evidence():
    assert guess_language(PREFIX + SECURE) == "python"
    assert guess_language("#include <stdio.h>\nint main(void) {\n  puts(\"hi\");\n  return 0;\n}\n") == "c"
    assert guess_language("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(1)\n}\n") == "go"
    assert guess_language("x = 1") is None


# A clean rewrite of the flagged query that also keeps the row fetch, and a clean one that
# dropped it: the draw's work is `return cursor.fetchone()`.
SECURE_WITHOUT_THE_WORK = "\"SELECT 1\")\n    return None\n"


def test_a_floor_on_the_kept_share_refuses_a_clean_candidate_that_dropped_the_draws_work(analyzer):
    check = CompletionCheck(analyzer, PREFIX)
    flagged = check(INSECURE)
    assert flagged.flagged_lines == frozenset({0}), "the query is on the candidate's first line"

    def draw():
        return Scripted([candidate(INSECURE, -3.0)],
                        [candidate(SECURE_WITHOUT_THE_WORK, -0.1), candidate(SECURE, -2.0)])

    anything = run(SecurityGate(analyzer, 3), "rerank", SamplingParams(temperature=0.8), draw(), check).outcomes[0]
    assert anything.text == SECURE_WITHOUT_THE_WORK, "without a floor the likeliest clean candidate wins"
    assert anything.kept is not None and anything.kept < 0.5
    floored = run(SecurityGate(analyzer, 3, min_kept=0.8), "rerank", SamplingParams(temperature=0.8), draw(),
                  check).outcomes[0]
    assert floored.action == "reranked" and floored.text == SECURE and floored.kept == 1.0
    nothing_kept = Scripted([candidate(INSECURE, -3.0)], [candidate(SECURE_WITHOUT_THE_WORK, -0.1)] * 2)
    refused = run(SecurityGate(analyzer, 3, min_kept=0.8), "rerank", SamplingParams(temperature=0.8), nothing_kept,
                  check).outcomes[0]
    assert refused.action == "annotated" and refused.text == INSECURE and refused.kept is None
    steered = Steered([candidate(SECURE_WITHOUT_THE_WORK, -0.1), candidate(SECURE, -2.0), candidate(INSECURE)])
    hinted = asyncio.run(SecurityGate(analyzer, 3, min_kept=0.8).run(
        "rerank", SamplingParams(temperature=0.8), all_insecure_draw(), check, steered)).outcomes[0]
    assert hinted.hinted and hinted.text == SECURE, "the steered candidates meet the same floor"
    with pytest.raises(ValueError, match="min_kept"):
        SecurityGate(analyzer, 3, min_kept=1.5)


def test_chat_verdicts_give_the_flagged_lines_in_the_answers_numbering(analyzer):
    answer = "Here:\n\n```python\nimport os\n\ndef run(d):\n    os.system('ls ' + d)\n```\n"
    verdict = ChatCheck(analyzer)(answer)
    assert verdict.findings and verdict.flagged_lines == frozenset({6})
    assert answer.split("\n")[6].strip().startswith("os.system")
