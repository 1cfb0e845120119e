"""The repair benchmark as a plug-in: result (per prompt setting, single draw and loop), report, plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safecoder.benchmarks.protocol import Benchmark, BenchmarkResult, Evaluation
from safecoder.benchmarks.repair import VERSION
from safecoder.benchmarks.repair.config import RepairConfig
from safecoder.benchmarks.reports.markdown import fmt, table

HINT_NAMES = {"none": "no hint", "cwe": "CWE named", "line": "CWE and line named"}
WAYS = (("single", "fixed_and_correct"), ("single", "fixed"), ("loop", "fixed_and_correct"))


class RepairEvaluation(Evaluation):
    def rate(self, hint: str, way: str, key: str) -> float | None:
        """A rate of one prompt setting (`hint`), single draw or loop (`way`): fixed, fixed_and_correct, ..."""
        return ((self.record.get("settings") or {}).get(hint, {}).get(way) or {}).get(key)

    def metrics(self) -> dict[str, float | None]:
        return {f"repair {hint} {way} {key.replace('_', ' ')}": self.rate(hint, way, key)
                for hint in sorted(self.record.get("settings") or {}) for way, key in WAYS}


class RepairResult(BenchmarkResult):
    evaluation_class = RepairEvaluation

    @property
    def settings(self) -> dict[str, dict[str, Any]]:
        return dict(self.record.get("settings") or {})

    def fixed_and_correct(self, hint: str, way: str = "single") -> float | None:
        return (self.settings.get(hint, {}).get(way) or {}).get("fixed_and_correct")

    def group_names(self, key: str) -> list[str]:
        """The CWEs (`key` cwes) or languages (`key` languages) of any prompt setting, sorted."""
        return sorted({name for values in self.settings.values() for name in values[key]})

    def group_rate(self, hint: str, key: str, name: str, way: str = "single") -> float | None:
        """Fixed-and-correct of one CWE or language (`key`: cwes, languages) in one setting and way."""
        return ((self.settings.get(hint, {}).get(key, {}).get(name) or {}).get(way) or {}).get("fixed_and_correct")

    def evaluation(self) -> RepairEvaluation:
        return RepairEvaluation({"version": self.version, "config_hash": self.config_hash,
                                 "tasks": self.record["tasks"],
                                 "settings": {hint: {"single": values["single"], "loop": values["loop"]}
                                              for hint, values in self.settings.items()}})

    def summary(self) -> dict[str, float | None]:
        if "cwe" not in self.settings:
            return {}
        return {"repair_fixed_and_correct_cwe": self.fixed_and_correct("cwe", "single"),
                "repair_loop_fixed_and_correct_cwe": self.fixed_and_correct("cwe", "loop")}

    def table(self) -> str:
        """One row per prompt setting: the single draw's rates, then the verified-fix loop's."""
        rows = []
        for hint, values in self.settings.items():
            single, loop = values["single"], values["loop"]
            rows.append([HINT_NAMES.get(hint, hint), values["tasks"], single["fixed"], single["correct"],
                         single["fixed_and_correct"], single["similarity"], loop["verified"],
                         loop["fixed_and_correct"]])
        return table(["setting", "tasks", "fixed", "still correct", "fixed and correct", "similarity to real fix",
                      "loop: verified", "loop: fixed and correct"], rows)

    def breakdown(self, key: str) -> str:
        """Fixed-and-correct (single draw / loop) per CWE or language (`key`: cwes, languages), per setting."""
        settings = self.settings
        hints = list(settings)
        names = sorted({name for values in settings.values() for name in values[key]})
        rows = []
        for name in names:
            row: list[Any] = [name, max(settings[h][key].get(name, {}).get("tasks", 0) for h in hints)]
            for hint in hints:
                group = settings[hint][key].get(name)
                row.append(f"{fmt(group['single']['fixed_and_correct'])} / {fmt(group['loop']['fixed_and_correct'])}"
                           if group else None)
            rows.append(row)
        return table([key[:-1], "tasks", *[HINT_NAMES.get(h, h) for h in hints]], rows)

    def markdown(self) -> str:
        return "\n".join([
            f"{self.record['tasks']} vulnerable functions of the shared security pairs that the analyzer flags; "
            "k rewrites each. Fixed: no finding of the CWE by every judge; still correct: signature kept, "
            "parses and compiles; similarity: token similarity to the real fix (the unchanged function: "
            f"{fmt(self.record.get('unchanged_similarity'))}). Loop: the first of the k rewrites that `safecoder "
            "fix` verifies.", "", self.table(), "",
            "Fixed and correct per CWE (single draw / loop):", "", self.breakdown("cwes"), "",
            "Per language:", "", self.breakdown("languages")])

    def plots(self, result: dict[str, Any], folder: Path) -> list[str]:
        from safecoder.benchmarks.reports import plots

        if plots.repair_bars(result, folder / "plots" / "repair_per_cwe.png"):
            return ["plots/repair_per_cwe.png"]
        return []


class Repair(Benchmark):
    name = "repair"
    version = VERSION
    title = "Repair"
    help = ("repair of the shared pairs' vulnerable functions (no hint, CWE named, CWE and line named): fixed, still "
            "correct, fixed-and-correct, similarity to the real fix; single draw vs the verified-fix loop")
    config_class = RepairConfig
    result_class = RepairResult
    order = 50

    def result_config(self, config: RepairConfig) -> dict[str, Any]:
        from safecoder.benchmarks.repair.runner import result_config

        return result_config(config)

    def run(self, config: RepairConfig, context) -> RepairResult:
        from safecoder.benchmarks.repair.runner import run_repair

        return RepairResult(run_repair(config, context))


BENCHMARK = Repair()
