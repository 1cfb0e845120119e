"""Per-sample security and function of a security run's records, read as the benchmark
judged them (no model, no new judging): a quick look at a run whose cell has not finished,
or at a gated run's `own` records (the model alone on the gate's draws).

    python scripts/sample_rates.py runs/matrix/qwen-cpu/safecoder-v3/gate-off/security/scenarios
    python scripts/sample_rates.py runs/matrix/qwen-cpu/safecoder-v2-shipped/gate-rerank/security/own

Secure: the exploit test's verdict where it ran, else the static judge's (`combined`),
over all samples; works: over the samples with a test; secure and works: over all samples.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from safecoder.benchmarks.security.pairing import sample_outcomes
from safecoder.benchmarks.security.runner import default_scenarios_dir, record_correctness
from safecoder.data.scenarios import load_scenarios


def main(folder: Path) -> None:
    scenarios = {s.id: s for s in load_scenarios(default_scenarios_dir())}
    outcomes = []
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        outcomes.extend(sample_outcomes(scenarios[record["scenario"]], record, record_correctness(record)))
    if not outcomes:
        sys.exit(f"no judged security records in {folder}")
    tested = [o for o in outcomes if o.works is not None]
    print(f"samples {len(outcomes)}: secure {100 * sum(o.secure for o in outcomes) / len(outcomes):.1f}, "
          f"works {100 * sum(bool(o.works) for o in tested) / max(1, len(tested)):.1f} (of {len(tested)} tested), "
          f"secure and works {100 * sum(o.secure_and_works for o in outcomes) / len(outcomes):.1f} (of all)")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: python scripts/sample_rates.py RECORDS_FOLDER (a security run's scenarios/ or own/ folder)")
    main(Path(sys.argv[1]))
