"""Steering: the comment that names the weakness, where it goes, and the gate using it
through the one suggestion path with a real engine."""

from __future__ import annotations

import asyncio

import pytest

from safecoder.analysis import analyze_snippet
from safecoder.analysis.findings import AnalysisResult, Finding
from safecoder.engines.base import SamplingParams
from safecoder.prompts.fim import KNOWN_FORMATS
from safecoder.suggest import CompletionCheck, SecurityGate, suggest
from safecoder.suggest.infill import infill_prompt
from safecoder.suggest.steering import (
    at_the_flagged_line,
    repeats_the_hint,
    security_hint,
    steered_prompt,
)
from safecoder.suggest.suggestion import steered_draw

PREFIX = "import sqlite3\n\ndef get_user(db, name):\n    cursor = db.cursor()\n    cursor.execute("
INSECURE = "\"SELECT * FROM users WHERE name = '%s'\" % name)\n    return cursor.fetchone()\n"
QWEN = next(f for f in KNOWN_FORMATS if f.name == "qwen")


def finding(cwe, message="query built from input", line=5):
    return Finding(cwe, "rule", "fast", message, start_line=line, end_line=line)


def test_the_hint_names_the_weakness_in_the_languages_comment_syntax():
    found = analyze_snippet(PREFIX + INSECURE, "python").findings
    hint = security_hint(found, "python")
    assert hint is not None and hint.startswith("# Security: do not write CWE-089 (SQL Injection)")
    assert "\n" not in hint
    c_hint = security_hint([finding("CWE-787", "write past the end\nof buf")], "c")
    assert c_hint == "// Security: do not write CWE-787 (Out-of-bounds Write): write past the end of buf. Write it safely."
    many = security_hint([finding("CWE-089"), finding("CWE-089"), finding("CWE-078"), finding("CWE-022")], "ruby")
    assert many is not None and many.count("CWE-") == 2 and "CWE-022" not in many, "two CWEs at most, each once"
    assert security_hint([], "python") is None
    assert security_hint([finding("CWE-089")], "cobol") is None


def test_the_hint_goes_before_the_cursors_line_with_its_indentation_and_nowhere_else():
    hint = "# Security: do not write CWE-089 (SQL Injection)."
    chat = "<|im_start|>user\nWrite get_user<|im_end|>\n<|im_start|>assistant\n" + PREFIX
    steered = steered_prompt(chat, PREFIX, hint)
    assert steered is not None and steered.endswith("    cursor = db.cursor()\n    " + hint + "\n    cursor.execute(")
    assert steered.replace("    " + hint + "\n", "", 1) == chat, "the prompt is otherwise unchanged"

    suffix = "\n    return cursor.fetchone()\n"

    class FimEngine:
        fim_format = QWEN

    fim = infill_prompt(FimEngine(), PREFIX, suffix).prompt
    hinted = steered_prompt(fim, PREFIX, hint)
    assert hinted is not None and hinted.index(hint) < hinted.index("<|fim_suffix|>"), "in the prefix, not the suffix"
    assert hinted.endswith(f"<|fim_suffix|>{suffix}<|fim_middle|>")

    at_line_start = steered_prompt("x = 1\n", "x = 1\n", hint)
    assert at_line_start == "x = 1\n" + hint + "\n", "a cursor at a line's start gets the hint just before it"
    assert steered_prompt("something else", PREFIX, hint) is None
    assert steered_prompt("abc", "", hint) is None


def test_the_hint_goes_at_the_draws_first_flagged_line_keeping_the_lines_before_it():
    hint = "# Security: do not write CWE-089 (SQL Injection)."
    draw = "\"SELECT 1\")\n    rows = cursor.fetchall()\n    query = 'x' + name\n    return rows\n"
    first_line = PREFIX.count("\n") + 1  # the file line the draw starts on (the cursor's)
    flagged = [finding("CWE-089", line=first_line + 3), finding("CWE-089", line=first_line + 2)]
    continuation = at_the_flagged_line(PREFIX, draw, first_line, flagged, hint)
    assert continuation is not None
    assert continuation.kept == "\"SELECT 1\")\n    rows = cursor.fetchall()\n", "up to the earliest flagged line"
    assert continuation.prompt == PREFIX + continuation.kept + "    " + hint + "\n", "indented like that line"
    on_the_cursors_line = [finding("CWE-089", line=first_line)]
    assert at_the_flagged_line(PREFIX, draw, first_line, on_the_cursors_line, hint) is None
    starts_in_the_prefix = [finding("CWE-089", line=first_line - 1), finding("CWE-089", line=first_line + 2)]
    assert at_the_flagged_line(PREFIX, draw, first_line, starts_in_the_prefix, hint) is None
    assert at_the_flagged_line(PREFIX, draw, first_line, [finding("CWE-089", line=first_line + 9)], hint) is None
    assert at_the_flagged_line(PREFIX, draw, first_line, [], hint) is None


class RecordingEngine:
    """The real engine, with each prompt it was asked to continue recorded."""

    def __init__(self, engine):
        self.engine, self.prompts = engine, []

    async def generate(self, request):
        self.prompts.append(request.prompt)
        return await self.engine.generate(request)


def flag_every_candidate(code: str, language: str) -> AnalysisResult:
    """Stands in for an analyzer that finds CWE-089 in every candidate, however unfinished,
    on the cursor's line, so that the gate must steer whatever the small model writes and
    steers before the cursor's line; the engine and the path are real."""
    cursor_line = PREFIX.count("\n") + 1
    return AnalysisResult(source="<snippet>", language=language, status="ok",
                          findings=(finding("CWE-089", "query built from input", cursor_line),))


@pytest.mark.slow
def test_the_gate_steers_a_real_engine_through_the_suggestion_path(transformers_engine):
    engine = RecordingEngine(transformers_engine)
    check = CompletionCheck(flag_every_candidate, PREFIX, "", "python")
    gate = SecurityGate(flag_every_candidate, candidates=2)
    sampling = SamplingParams(max_new_tokens=24, temperature=0.8, seed=3)
    report = asyncio.run(suggest(gate, "rerank", engine, PREFIX, sampling, check))  # type: ignore[arg-type]
    [outcome] = report.outcomes
    hinted = [p for p in engine.prompts if "# Security: do not write CWE-089 (SQL Injection)" in p]
    plain = [p for p in engine.prompts if p == PREFIX]
    assert len(plain) == 2 and len(hinted) == 1, "first draw, k-1 plain extras, then one steered draw"
    assert hinted[0].endswith("    cursor = db.cursor()\n    # Security: do not write CWE-089 (SQL Injection): "
                              "query built from input. Write it safely.\n    cursor.execute(")
    assert outcome.candidates == 4 and outcome.action == "annotated" and not outcome.hinted
    assert "Security:" not in outcome.text, "the hint is never returned"


@pytest.mark.slow
def test_a_steered_draw_keeps_the_models_lines_before_the_flagged_one(transformers_engine):
    engine = RecordingEngine(transformers_engine)
    check = CompletionCheck(analyze_snippet, PREFIX, "", "python")
    own = "\"SELECT 1\")\n    rows = cursor.fetchall()\n    cursor.execute(\"SELECT * FROM t WHERE n = '%s'\" % name)\n"
    found = check(own).findings
    assert {f.start_line for f in found} == {PREFIX.count("\n") + 3}, "the real analyzer flags the third line"

    def keep_three_lines(text: str, stopped: bool) -> tuple[str, bool]:
        """The caller's cut, which must see the kept lines too: here, the first three lines."""
        return "\n".join(text.split("\n")[:3]), True

    draw = steered_draw(engine, PREFIX, check, keep_three_lines)(own, found)
    assert draw is not None
    candidates = asyncio.run(draw(SamplingParams(n=2, max_new_tokens=12, temperature=0.8, seed=3)))
    kept = "\"SELECT 1\")\n    rows = cursor.fetchall()\n"
    [prompt] = engine.prompts
    assert prompt.startswith(PREFIX + kept + "    # Security: do not write CWE-089 (SQL Injection)")
    assert prompt.endswith("Write it safely.\n")
    assert len(candidates) == 2 and all(c.text.startswith(kept) for c in candidates), "each keeps the draw's lines"
    assert all(c.text.count("\n") <= 2 and c.finish_reason == "stop" for c in candidates), "cut as one text"
    assert not any(repeats_the_hint(c.text) for c in candidates)


class ParrotEngine:
    """Stands in for a model that answers the steered prompt with the hint itself (the
    default model did, on the security scenarios) and the plain prompt with its own text."""

    def __init__(self, engine):
        self.engine = engine

    async def generate(self, request):
        result = await self.engine.generate(request)
        if "Security: do not write" not in request.prompt:
            return result
        import dataclasses

        hint = request.prompt.splitlines()[-2].strip()
        parroted = [dataclasses.replace(c, text="\n    " + hint + "\n") for c in result.completions]
        return dataclasses.replace(result, completions=parroted)


@pytest.mark.slow
def test_a_steered_candidate_that_copies_the_hint_is_never_offered(transformers_engine):
    def flag_only_code(code: str, language: str) -> AnalysisResult:
        """CWE-089 on any candidate that writes code: the copied hint alone (a comment) is clean."""
        written = [line.strip() for line in code[len(PREFIX):].splitlines()]
        has_code = any(line and not line.startswith("#") for line in written)
        line = PREFIX.count("\n") + 1
        findings = (finding("CWE-089", "query built from input", line),) if has_code else ()
        return AnalysisResult(source="<snippet>", language=language, status="ok", findings=findings)

    engine = ParrotEngine(transformers_engine)
    check = CompletionCheck(flag_only_code, PREFIX, "", "python")
    gate = SecurityGate(flag_only_code, candidates=2)
    sampling = SamplingParams(max_new_tokens=16, temperature=0.8, seed=5)
    [outcome] = asyncio.run(suggest(gate, "rerank", engine, PREFIX, sampling, check)).outcomes  # type: ignore[arg-type]
    assert outcome.action == "annotated" and not outcome.hinted and not repeats_the_hint(outcome.text)
    assert (outcome.candidates, outcome.rejected) == (4, 4), "the two copies were drawn and refused"
    assert repeats_the_hint("    # Security: do not write CWE-089 (SQL Injection).") and not repeats_the_hint("x = 1")
