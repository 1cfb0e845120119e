"""How many pairs of a folder written by `safecoder collect instruct` got an instruction.

Reads each `<file>.jsonl.manifest.json` beside its pair file and prints a Markdown table:
per file the pairs left out as too long, asked, instructed and refused, the requests it
took (sent or cached), then why refused answers were refused, over all files.

    python scripts/instruction_yield.py data/sven-train-instructed
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder of pair files with their manifests")
    args = parser.parse_args(argv)
    manifests = sorted(args.folder.glob("*.manifest.json"))
    if not manifests:
        print(f"{args.folder} holds no *.manifest.json written by `safecoder collect instruct`", file=sys.stderr)
        return 2
    print("| file | languages | left out (too long) | asked | instructed | refused | requests |")
    print("|---|---|---|---|---|---|---|")
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for path in manifests:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        report = manifest["instructions"]
        pairs = Path(manifest["output"]).name
        languages = Counter(json.loads(line)["language"] for line in
                            (path.parent / pairs).read_text(encoding="utf-8").splitlines() if line.strip())
        row = {"long": manifest.get("skipped_long", 0), "asked": manifest["pairs"], "instructed": report["written"],
               "refused": report["failed"], "requests": report["requests"] + report["cached_answers"]}
        totals.update(row)
        for failure in report["failures"]:
            # "it has 3 sentences (at most 2)" and "it has 4 ..." count as one reason.
            reasons.update({re.sub(r"\d+", "N", reason.split(" (")[0]) for reason in failure["reasons"]})
        share = 100.0 * row["instructed"] / row["asked"] if row["asked"] else 0.0
        names = ", ".join(f"{name} {count}" for name, count in languages.most_common())
        print(f"| {pairs} | {names} | {row['long']} | {row['asked']} | {row['instructed']} ({share:.0f}%) "
              f"| {row['refused']} | {row['requests']} |")
    share = 100.0 * totals["instructed"] / totals["asked"] if totals["asked"] else 0.0
    print(f"| all | | {totals['long']} | {totals['asked']} | {totals['instructed']} ({share:.0f}%) "
          f"| {totals['refused']} | {totals['requests']} |")
    print()
    print("Why the last answer of a refused pair was refused (an answer can have several reasons):")
    print()
    for reason, count in reasons.most_common():
        print(f"- {reason}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
