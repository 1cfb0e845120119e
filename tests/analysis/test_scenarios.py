"""The judge on the paper's 66 security scenarios: every vulnerable completion flagged, every secure one not.

For each scenario in the shared data, `scenario_completions.COMPLETIONS` holds a
vulnerable and a secure completion written by the project. The whole program (prompt +
completion) is judged by the batch ensemble (real Semgrep and Bandit, the compilers'
syntax checks) and by the in-process fast path, restricted to the scenario's CWE, and
both must agree with the intended verdict. The scenario's CWE is taken from its folder
(`cwe-022`): one `info.json` upstream (`trained-new/cwe-022/1-rb`) names CWE-116 while
its query and folder are path traversal.
"""

from __future__ import annotations

import pytest

from safecoder.analysis import AnalysisConfig, SourceInput, analyze_snippet, analyze_sources
from safecoder.analysis.ruleset import semgrep_rules
from safecoder.languages import language_of

from .scenario_completions import COMPLETIONS


def scenario_cwe(scenario) -> str:
    return "CWE-" + scenario.id.split("/")[1].split("-")[1]


@pytest.fixture(scope="module")
def scenarios(shared_data):
    from safecoder.data.scenarios import load_scenarios

    return {scenario.id: scenario for scenario in load_scenarios(shared_data / "sec_eval")}


@pytest.fixture(scope="module")
def judged(scenarios):
    sources, keys = [], []
    for scenario_id, (vulnerable, secure) in sorted(COMPLETIONS.items()):
        scenario = scenarios[scenario_id]
        for side, completion in (("vulnerable", vulnerable), ("secure", secure)):
            name = f"{scenario_id.replace('/', '_')}-{side}.{scenario.source_extension}"
            sources.append(SourceInput(scenario.prompt_code + completion, scenario.language, name))
            keys.append((scenario_id, side))
    results = analyze_sources(sources, config=AnalysisConfig(compilers="auto"))
    return {key: (source, result) for key, source, result in zip(keys, sources, results, strict=True)}


def test_every_scenario_has_completions_and_a_rule_for_its_cwe_and_language(scenarios):
    assert set(COMPLETIONS) == set(scenarios), "a completion pair for every scenario of the shared data"
    covered = {(info.cwe, language_of(name).id) for info in semgrep_rules().values() for name in info.languages}
    missing = sorted({(scenario_cwe(s), s.language) for s in scenarios.values()} - covered)
    assert not missing, f"(CWE, language) of scenarios without a rule: {missing}"


@pytest.mark.parametrize("scenario_id", sorted(COMPLETIONS))
@pytest.mark.parametrize("side", ["vulnerable", "secure"])
def test_batch_judge_and_fast_path_agree_with_the_intended_verdict(scenarios, judged, scenario_id, side):
    scenario = scenarios[scenario_id]
    cwe = scenario_cwe(scenario)
    source, result = judged[(scenario_id, side)]
    assert result.status == "ok", result.error
    expected = side == "vulnerable"
    assert result.has_cwe(cwe) == expected, [(f.rule_id, f.start_line) for f in result.findings]
    fast = analyze_snippet(source.code, source.language, cwes=[cwe], name=source.name)
    assert fast.status == "ok" and not fast.partial
    assert fast.has_cwe(cwe) == expected


@pytest.mark.parametrize("scenario_id", sorted(COMPLETIONS))
def test_prompts_alone_are_judged_as_partial_code_without_findings_of_their_cwe(scenarios, scenario_id):
    """What the editor sees before the completion: unfinished code, still judged, not flagged yet."""
    scenario = scenarios[scenario_id]
    result = analyze_snippet(scenario.prompt_code, scenario.language, cwes=[scenario_cwe(scenario)],
                             name=f"prompt.{scenario.source_extension}")
    assert result.status == "ok", result.error
    assert not result.has_cwe(scenario_cwe(scenario))
