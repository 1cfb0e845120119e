"""The security change between two models paired by scenario: its mean, its bootstrap
interval, and whether it is beyond the spread; shown by `bench compare` and the gate."""

import pytest

from safecoder.benchmarks.reports.compare import View, compare, to_markdown
from safecoder.benchmarks.security.paired_change import paired_change


def rates(values: dict[str, float | None], judge: str = "paper") -> dict[str, dict[str, float | None]]:
    return {scenario: {judge: value} for scenario, value in values.items()}


SCENARIOS = [f"trained/cwe-{i:03d}/0-py" for i in range(30)]


def test_a_change_on_every_scenario_is_beyond_the_spread_and_no_change_is_not():
    a = rates({s: 40.0 + i for i, s in enumerate(SCENARIOS)})
    b = rates({s: 60.0 + i for i, s in enumerate(SCENARIOS)})
    up = paired_change(a, b, "paper")
    assert up is not None
    assert (up.change, up.low, up.high, up.better, up.worse) == (20.0, 20.0, 20.0, 30, 0)
    assert up.beyond_spread and "beyond the spread" in up.describe()
    same = paired_change(a, a, "paper")
    assert same is not None and (same.change, same.low, same.high) == (0.0, 0.0, 0.0)
    assert not same.beyond_spread and "within the spread" in same.describe()


def test_changes_that_cancel_scenario_by_scenario_stay_within_the_spread():
    a = rates(dict.fromkeys(SCENARIOS, 60.0))
    b = rates({s: 100.0 if i % 2 else 20.0 for i, s in enumerate(SCENARIOS)})
    mixed = paired_change(a, b, "paper")
    assert mixed is not None and mixed.change == 0.0
    assert mixed.low < -10 and mixed.high > 10  # 15 up by 40, 15 down by 40: wide, around zero
    assert not mixed.beyond_spread
    assert paired_change(a, b, "paper", seed=1) == paired_change(a, b, "paper", seed=1)


def test_only_scenarios_both_sides_judged_are_paired():
    a = rates({"s1": 50.0, "s2": None, "s3": 20.0, "only-a": 0.0})
    b = rates({"s1": 70.0, "s2": 90.0, "s3": 40.0, "only-b": 100.0})
    paired = paired_change(a, b, "paper")
    assert paired is not None and paired.scenarios == 2 and paired.change == 20.0
    assert paired_change(a, b, "strict") is None  # no scenario has that judge's rate
    assert paired_change(rates({"s1": 1.0}), rates({"s1": 2.0}), "paper") is None
    with pytest.raises(ValueError, match="confidence"):
        paired_change(a, b, "paper", confidence=95)


def test_compare_reports_each_judge_paired_and_json_keeps_the_interval():
    a = {s: {"paper": 50.0, "combined": 40.0} for s in SCENARIOS}
    b = {s: {"paper": 50.0, "combined": 40.0 if i < 20 else 100.0} for i, s in enumerate(SCENARIOS)}

    def view(label, scenarios):
        return View(label, {"security": {"overall": {}, "splits": {}, "scenarios": scenarios}})

    comparison = compare(view("v0001", a), view("v0002", b))
    assert list(comparison.paired) == ["combined", "paper"]
    assert comparison.paired["combined"].change == 20.0 and comparison.paired["combined"].beyond_spread
    assert not comparison.paired["paper"].beyond_spread
    markdown = to_markdown(comparison)
    assert "- combined: +20.0 [" in markdown and "(10 up, 0 down): beyond the spread" in markdown
    row = comparison.to_dict()["paired"]["combined"]
    assert row["beyond_spread"] is True and row["low"] > 0 and row["scenarios"] == 30


def test_compare_reads_a_shipped_models_served_and_evaluated_records(tmp_path):
    """The repository's shipped manifest: its served artifact against the adapter it was made from."""
    from pathlib import Path

    from safecoder.benchmarks.reports.compare import load_view
    from safecoder.benchmarks.run_folder import RunFolderError

    shipped = Path(__file__).resolve().parents[2] / "safecoder/models/shipped/safecoder-qwen2.5-coder-0.5b/shipped.json"
    served, evaluated = load_view(str(shipped)), load_view(f"{shipped}#evaluated")
    assert served.label.endswith("(served)") and evaluated.label.endswith("(evaluated)")
    comparison = compare(evaluated, served)
    assert {"combined", "paper"} <= set(comparison.paired)
    assert comparison.paired["paper"].scenarios >= 60
    with pytest.raises(RunFolderError, match=r"#served .* or #evaluated"):
        load_view(f"{shipped}#latest")
    bare = tmp_path / "shipped.json"
    bare.write_text('{"name": "m", "base_model": "b", "dtype": "float16", "files": {}, "made_from": {}}')
    with pytest.raises(RunFolderError, match="records no served evaluation"):
        load_view(str(bare))
