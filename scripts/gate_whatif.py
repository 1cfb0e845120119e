"""What other replacement policies would have done on a gated security run's own draws: each
policy keeps some of the gate's replacements and puts the model's own draw back for the
rest, and every sample is judged as the run judged it (no model, no new judging). A quick
check of a gate idea before a benchmark hour is spent on it.

    python scripts/gate_whatif.py runs/matrix/qwen-cpu/safecoder-v2-shipped/gate-rerank

The policies:
- `as served`: every replacement the run made;
- `no unjudged swap`: a candidate the analyzer could not judge never replaces the draw (the
  gate's rule since session 19; the gate would then steer, which this cannot replay, so
  the row is the least that rule gives);
- `flow kept`: a replacement must use each name that flows into the draw's flagged lines
  (a name on those lines that also appears on its other lines) at least as often as the
  draw does, up to twice (defined and used). An experiment, not a gate rule: measured in
  docs/first-model.md, "Unjudged replacements, and a data-flow rule that did not work";
- `model alone`: no replacement.
Secure and the last column: percent of all samples; works and secure-and-works: percent of
the samples with a test.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from safecoder.benchmarks.security.pairing import SampleOutcome, replaced, sample_outcomes
from safecoder.benchmarks.security.runner import default_scenarios_dir, record_correctness
from safecoder.benchmarks.security.truncation import cut_completion
from safecoder.data.scenarios import Scenario, load_scenarios
from safecoder.suggest import CompletionCheck, load_analyzer

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def flow_kept(own: str, alternative: str, flagged: frozenset[int]) -> bool:
    lines = own.split("\n")
    on_flagged = Counter(NAME.findall("\n".join(line for i, line in enumerate(lines) if i in flagged)))
    elsewhere = Counter(NAME.findall("\n".join(line for i, line in enumerate(lines) if i not in flagged)))
    in_own, in_alternative = Counter(NAME.findall(own)), Counter(NAME.findall(alternative))
    return all(in_alternative[name] >= min(in_own[name], 2) for name in on_flagged if name in elsewhere)


Replacement = tuple[Scenario, str, str, str]  # scenario, gate action, own draw, returned text
Policy = Callable[[Replacement], bool]


def main(cell: Path) -> None:
    folder = cell / "security"
    scenarios = {s.id: s for s in load_scenarios(default_scenarios_dir())}
    analyzer = load_analyzer()
    samples: list[tuple[SampleOutcome, SampleOutcome, Replacement | None]] = []
    for path in sorted((folder / "scenarios").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        twin = json.loads((folder / "own" / path.name).read_text(encoding="utf-8"))
        scenario = scenarios[record["scenario"]]
        own = sample_outcomes(scenario, twin, record_correctness(twin))
        gated = sample_outcomes(scenario, record, record_correctness(record))
        for i, was in enumerate(replaced(record)):
            swap = (scenario, record["gate"]["sample_actions"][i],
                    cut_completion(record["gate"]["own_samples"][i], scenario.source_extension),
                    record["samples"][i]) if was else None
            samples.append((own[i], gated[i], swap))

    def flow(swap: Replacement) -> bool:
        scenario, _, own_text, new_text = swap
        check = CompletionCheck(analyzer, scenario.file_context + scenario.func_context, "", scenario.language)
        return flow_kept(own_text, new_text, check(own_text).flagged_lines)

    policies: dict[str, Policy] = {"as served": lambda swap: True,
                                   "no unjudged swap": lambda swap: swap[1] != "unchecked",
                                   "flow kept": lambda swap: swap[1] != "unchecked" and flow(swap),
                                   "model alone": lambda swap: False}
    print("| policy | replaced | secure | works | secure and works | secure and works, of all samples |")
    print("|---|---|---|---|---|---|")
    for name, keeps in policies.items():
        chosen = [(after if swap is not None and keeps(swap) else before, swap is not None and keeps(swap))
                  for before, after, swap in samples]
        tested = [outcome for outcome, _ in chosen if outcome.works is not None]
        secure_pass = sum(outcome.secure_and_works for outcome, _ in chosen)
        print(f"| {name} | {sum(kept for _, kept in chosen)} "
              f"| {100 * sum(o.secure for o, _ in chosen) / len(chosen):.1f} "
              f"| {100 * sum(bool(o.works) for o in tested) / len(tested):.1f} "
              f"| {100 * sum(o.secure_and_works for o in tested) / len(tested):.1f} "
              f"| {100 * secure_pass / len(chosen):.1f} |")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not (Path(sys.argv[1]) / "security" / "own").is_dir():
        sys.exit("usage: python scripts/gate_whatif.py RUN_FOLDER (a gated security run with its "
                 "security/scenarios and security/own records)")
    main(Path(sys.argv[1]))
