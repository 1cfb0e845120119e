"""Pass@1 runs of the same dataset compared problem by problem, read from their records
(no model, no new test run): how many problems got the same completion and how many
changed verdict between two runs, so a difference of pass@1 can be set against the churn
a new seed causes on its own.

    python scripts/pass1_paired.py runs/merge-check/merged-q8_0 runs/merge-check/runtime-lora-f16-seed1 ...

Each argument is a `safecoder bench functional` run folder (its `functional/<dataset>/`
records, one sample per problem); `--dataset` picks the dataset (default humaneval).
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path


def first_samples(run_dir: Path, dataset: str) -> dict[str, tuple[bool, str]]:
    """Problem -> (passed, completion) of the first sample of each record in a run folder."""
    folder = run_dir / "functional" / dataset
    records = sorted(folder.glob("*.json"))
    if not records:
        raise SystemExit(f"{folder} holds no records: pass a `safecoder bench functional` run folder")
    out = {}
    for path in records:
        record = json.loads(path.read_text())
        out[record["problem"]] = (bool(record["passed"][0]), record["completions"][0])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders, two or more")
    parser.add_argument("--dataset", default="humaneval")
    args = parser.parse_args()
    if len(args.runs) < 2:
        parser.error("compare at least two run folders")
    runs = {path: first_samples(path, args.dataset) for path in args.runs}
    for path, samples in runs.items():
        print(f"{path}: pass@1 {100 * sum(p for p, _ in samples.values()) / len(samples):.1f} "
              f"over {len(samples)} problems")
    for (name_a, a), (name_b, b) in itertools.combinations(runs.items(), 2):
        common = sorted(set(a) & set(b))
        same = sum(a[p][1] == b[p][1] for p in common)
        flips = sum(a[p][0] != b[p][0] for p in common)
        print(f"{name_a.name} vs {name_b.name}: {len(common)} problems, identical completions {same}, "
              f"verdict changed on {flips}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
