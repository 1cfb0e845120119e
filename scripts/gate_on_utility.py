"""What the served gate would change in a cell's utility benchmarks (HumanEval, MBPP).

The gate keeps a choice's first candidate whenever the in-process analyzer finds nothing in
it (`safecoder/suggest/gate.py`), so with the gate on, pass@1 can differ from the gate-off
run only on completions the analyzer flags. This counts them in the gate-off cell's cached
completions: an exact bound on the gate's effect on pass@1, measured without drawing again.

    python scripts/gate_on_utility.py runs/matrix/qwen-cpu/base/gate-off [more cells...]
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

from safecoder.analysis import analyze_snippet


def main(cells: list[str]) -> None:
    print("| cell | dataset | completions | flagged (the gate could change them) | passed among the flagged | CWEs |")
    print("|---|---|---|---|---|---|")
    for cell in cells:
        for dataset in sorted(p.name for p in (Path(cell) / "functional").iterdir() if p.is_dir()):
            total = flagged = passed = 0
            cwes: collections.Counter[str] = collections.Counter()
            for path in sorted((Path(cell) / "functional" / dataset).glob("*.json")):
                record = json.loads(path.read_text(encoding="utf-8"))
                for completion, ok in zip(record["completions"], record["passed"], strict=True):
                    total += 1
                    findings = analyze_snippet(completion, "python").findings
                    if findings:
                        flagged += 1
                        passed += bool(ok)
                        cwes.update(sorted({f.cwe for f in findings}))
            print(f"| {cell} | {dataset} | {total} | {flagged} | {passed} | "
                  f"{', '.join(f'{c} ({n})' for c, n in cwes.items()) or '-'} |")


if __name__ == "__main__":
    main(sys.argv[1:])
