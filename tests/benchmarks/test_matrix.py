"""`safecoder bench matrix`: models x gates on one protocol, resumable cells, one report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from safecoder.benchmarks.matrix import MatrixConfig, interval, selected_cells, write_report
from safecoder.config import ConfigError
from safecoder.suggest.steering import STEERING_VERSION


def test_intervals_and_bad_configs():
    assert interval(50, 100) == pytest.approx(9.8, abs=0.01)
    assert interval(0, 0) is None and interval(None, 10) is None
    with pytest.raises(ConfigError, match="distinct"):
        MatrixConfig(out="x", models=[("a", "m"), ("a", "n")])
    with pytest.raises(ConfigError, match="gates must be among"):
        MatrixConfig(out="x", models=[("a", "m")], gates=("sometimes",))


def test_yaml_reads_a_bare_off_as_the_gate_off(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("out: o\nmodels: {a: smollm2-135m}\ngates: [off, rerank]\n")
    assert MatrixConfig.from_yaml(path).gates == ("off", "rerank")
    path.write_text("out: o\nmodels: [a]\n")
    with pytest.raises(ConfigError, match="must map names"):
        MatrixConfig.from_yaml(path)


def test_the_shipped_matrix_configs_parse_and_their_reports_share_cells_without_overwriting():
    """Every matrix config in configs/bench reads; each recipe's own report (v4, v5) names the
    same cell folder as the full matrix's row of that name, under its own report name."""
    root = Path(__file__).resolve().parents[2] / "configs" / "bench"
    configs = {path.name: MatrixConfig.from_yaml(path) for path in sorted(root.glob("matrix-*.yaml"))}
    recipes = ("v4", "v5")
    assert {"matrix-qwen-cpu.yaml", *(f"matrix-qwen-cpu-{r}.yaml" for r in recipes)} <= set(configs)
    full = configs["matrix-qwen-cpu.yaml"]
    folders = {c.model: c.folder for c in selected_cells(full) if c.gate == "off"}
    for recipe in recipes:
        alone = configs[f"matrix-qwen-cpu-{recipe}.yaml"]
        assert [c.folder for c in selected_cells(alone)] == [folders[f"safecoder-{recipe}"]]
        assert alone.report not in {full.report, *(configs[f"matrix-qwen-cpu-{r}.yaml"].report
                                                   for r in recipes if r != recipe)}


def _security_result(scenario_rates: dict[str, float]) -> dict:
    """A cell's result.json with a security section only: per-scenario rates, overall counts."""
    overall = sum(scenario_rates.values()) / len(scenario_rates)
    rates = {"paper": overall, "strict": overall, "combined": overall}
    return {"benchmarks": {"security": {
        "overall": {"rates": rates, "counts": {"programs": 5 * len(scenario_rates), "parseable": 5 * len(scenario_rates),
                                               "secure": round(overall / 20 * len(scenario_rates))}},
        "splits": {}, "scenarios": [{"id": s, "cwe": "CWE-078", "rates": {"paper": r, "strict": r, "combined": r}}
                                    for s, r in scenario_rates.items()]}}}


def test_the_report_pairs_each_cell_with_the_first_by_scenario(tmp_path):
    scenarios = [f"trained/cwe-078/{i}-py" for i in range(20)]
    base = {s: 40.0 + 2 * i for i, s in enumerate(scenarios)}
    config = MatrixConfig(out=tmp_path, models=[("base", "m"), ("better", "b"), ("same", "s"), ("later", "l")],
                          gates=("off",))
    for name, rates in (("base", base), ("better", {s: r + 20 for s, r in base.items()}), ("same", base)):
        folder = tmp_path / name / "gate-off"
        folder.mkdir(parents=True)
        (folder / "result.json").write_text(json.dumps(_security_result(rates)))
    data = write_report(config)
    report = (tmp_path / "matrix.md").read_text()
    section = report.split("## Security against base (gate off), paired by scenario")[1].split("##")[0]
    assert "| better (gate off) | **+20.0 [+20.0, +20.0]** | **+20.0 [+20.0, +20.0]** | 20 / 0 of 20 |" in section
    assert "| same (gate off) | +0.0 [+0.0, +0.0] | +0.0 [+0.0, +0.0] | 0 / 0 of 20 |" in section
    assert "later" not in section  # not run: nothing to pair
    cell = next(c for c in data["cells"] if c["model"] == "better")
    assert cell["figures"]["scenarios"][scenarios[3]] == {"combined": 66.0, "paper": 66.0, "strict": 66.0,
                                                          "dynamic": None}


def test_a_run_can_be_narrowed_to_some_models_and_gates():
    config = MatrixConfig(out="x", models=[("base", "m"), ("control", "c"), ("safecoder", "s")],
                          gates=("off", "rerank"))
    assert len(selected_cells(config)) == 6
    narrowed = selected_cells(config, only=("safecoder", "base"), only_gates=("off",))
    assert [(cell.model, cell.gate) for cell in narrowed] == [("base", "off"), ("safecoder", "off")]
    with pytest.raises(ConfigError, match="nobody, blocked is not a model or gate"):
        selected_cells(config, only=("nobody",), only_gates=("blocked",))


@pytest.mark.slow
def test_a_small_matrix_runs_reports_and_leaves_missing_models_pending(tmp_path, embedded_model):
    suite = tmp_path / "suite.yaml"
    suite.write_text("benchmarks: [security]\nsecurity:\n  n: 2\n  max_new_tokens: 48\n"
                     "  only: ['trained/cwe-078/1-py']\n")
    config_path = tmp_path / "matrix.yaml"
    config_path.write_text(f"out: {tmp_path / 'out'}\nengine: llama\nsuite: {suite}\ngates: [off, rerank, rerank-plain]\n"
                           f"models:\n  small: smollm2-135m\n  later: {tmp_path / 'not-trained-yet'}\n")
    done = subprocess.run([sys.executable, "-m", "safecoder", "bench", "matrix", "--config", str(config_path),
                           "--no-progress"], capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads((tmp_path / "out" / "matrix.json").read_text())
    by_cell = {(c["model"], c["gate"]): c for c in data["cells"]}
    for gate in ("off", "rerank", "rerank-plain"):
        figures = by_cell[("small", gate)]["figures"]
        assert by_cell[("small", gate)]["pending"] is None and figures["programs"] >= 1
        assert figures["paper"] is None or 0 <= figures["paper"] <= 100
        assert by_cell[("later", gate)]["pending"] == "not run yet"
    actions = by_cell[("small", "rerank")]["figures"]["gate_actions"]
    assert sum(n for action, n in actions.items() if action != "hinted") == 2 and "hinted" in actions
    assert "hinted" not in by_cell[("small", "rerank-plain")]["figures"]["gate_actions"]
    security_of = {gate: json.loads((tmp_path / "out" / "small" / f"gate-{gate}" / "result.json").read_text())
                   ["benchmarks"]["security"]["config"] for gate in ("rerank", "rerank-plain")}
    assert security_of["rerank"]["gate"] == security_of["rerank-plain"]["gate"] == "rerank"
    assert security_of["rerank"]["gate_steer"] == STEERING_VERSION and "gate_steer" not in security_of["rerank-plain"]
    assert "gate_actions" not in by_cell[("small", "off")]["figures"]
    report = (tmp_path / "out" / "matrix.md").read_text()
    assert "| later | off | pending: not run yet" in report and "## What the gate did" in report
    assert "| passed | reranked | hinted | annotated |" in report
    # Both gated cells hold their model-alone twin, on the same draws.
    assert "## The gate against the model alone on the same draws" in report
    for gate in ("rerank", "rerank-plain"):
        paired = by_cell[("small", gate)]["figures"]["gate_paired"]
        assert paired["transitions"]["replaced"] <= 2 and set(paired["own"]) == {"combined", "secure_pass",
                                                                                  "functional"}
        assert f"| small (gate {gate}) |" in report.split("## The gate against the model alone")[1]
    assert (tmp_path / "out" / "small" / "gate-rerank" / "result.json").is_file()
    # The report is rebuilt from the cells alone, without running anything.
    (tmp_path / "out" / "matrix.md").unlink()
    write_report(MatrixConfig.from_yaml(config_path))
    assert (tmp_path / "out" / "matrix.md").read_text() == report
