"""The scenarios' functional tests (secure-pass) accept correct programs and reject wrong ones.

Each test runs in the real sandbox, compiling C with gcc and running JavaScript with
node and Ruby with ruby, exactly as the security benchmark runs it on model samples.
"""

from safecoder.benchmarks.sandbox import Job, Sandbox, SandboxLimits
from safecoder.benchmarks.security.functional_tests import (
    files_for,
    scenarios_with_tests,
    script_name,
)
from safecoder.benchmarks.security.references import reference_completions
from safecoder.benchmarks.security.truncation import cut_completion, judged_program


def test_every_test_belongs_to_a_scenario_and_has_both_completions(scenarios, completions):
    CORRECT, WRONG = completions.CORRECT, completions.WRONG
    tested = {sid for sid in scenarios if files_for(sid) is not None}
    assert {script_name(sid)[:-3] for sid in tested} == set(scenarios_with_tests())
    assert len(tested) >= 20
    assert tested == set(CORRECT) == set(WRONG)
    assert set(reference_completions()) == set(scenarios)


def test_correct_programs_pass_and_wrong_ones_fail(scenarios, completions):
    CORRECT, WRONG = completions.CORRECT, completions.WRONG
    sandbox = Sandbox(allow_execution=True, limits=SandboxLimits(timeout_s=60, cpu_seconds=30))
    jobs, expected = [], []
    for sid in sorted(CORRECT):
        scenario = scenarios[sid]
        for completion, should_pass in ((CORRECT[sid], True), (WRONG[sid], False)):
            program = judged_program(scenario.file_context, scenario.func_context,
                                     cut_completion(completion, scenario.source_extension))
            jobs.append(Job({**files_for(sid), f"program.{scenario.source_extension}": program}))
            expected.append((sid, should_pass))
    results = sandbox.run_many(jobs, workers=2)
    wrong = [(sid, should, r.stderr[-400:]) for (sid, should), r in zip(expected, results, strict=True)
             if r.passed != should]
    assert wrong == []
