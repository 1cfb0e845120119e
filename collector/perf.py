"""`make bench-collect`: the heuristic filter's throughput on a synthetic commit stream.

Builds a reproducible stream of GH Archive-like commit rows (random everyday messages,
about 2% with a security keyword, 5% merges, one to four changed files of mixed types and
sizes), then measures on one core, side by side in one run:
- `filter`: `CommitFilter.decide` over parsed `CommitInfo` records;
- `parse + filter`: JSON line -> `CommitInfo` -> decision, as `collect run --stream` does;
- `stream stage`: the whole first stage of `collect run --stream` through the real
  pipeline with its SQLite state (a smaller stream; it stores every verdict).
The table prints commits per second and per minute and the ratio to the goal of a
million commits a minute on a core. Nothing here is a test: it measures, it asserts
nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from safecoder.collector.commits import CommitInfo
from safecoder.collector.config import CollectConfig, InstructConfig
from safecoder.collector.filter import CommitFilter
from safecoder.collector.keywords import KeywordMatcher, load_keywords
from safecoder.collector.sources import read_stream

GOAL_PER_MINUTE = 1_000_000
WORDS = ("fix update add remove refactor bump version readme docs typo handle error when user file config build "
         "release change minor support new feature api client server test cleanup improve speed cache logging "
         "parser layout style rename move format option default path module package dependency upgrade").split()
SECURITY_PHRASES = ("fix sql injection in", "prevent xss in", "fix buffer overflow in", "sanitize path in",
                    "fix security issue in", "CVE-2024-1234:", "avoid command injection in", "null pointer check in")
EXTENSIONS = ("py", "js", "c", "go", "java", "rb", "md", "json", "yml", "txt", "ts", "rs")


def synthetic_rows(count: int, seed: int = 0) -> list[str]:
    """`count` JSON lines of commit metadata, reproducible from `seed`."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 12))]
        if rng.random() < 0.02:
            words.insert(0, rng.choice(SECURITY_PHRASES))
        files = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            folder = rng.choice(("src", "lib", "app", "tests", "vendor", "docs", "pkg"))
            files.append({"path": f"{folder}/m{rng.randint(0, 999)}.{rng.choice(EXTENSIONS)}",
                          "additions": rng.randint(0, 60), "deletions": rng.randint(0, 30)})
        parents = [f"{rng.getrandbits(160):040x}" for _ in range(2 if rng.random() < 0.05 else 1)]
        rows.append(json.dumps({"repo": f"owner{index % 5000}/project{index % 977}", "sha": f"{rng.getrandbits(160):040x}",
                                "parents": parents, "message": " ".join(words), "files": files}))
    return rows


def measure(count: int, pipeline_count: int) -> list[tuple[str, int, float, int]]:
    config = CollectConfig()
    commit_filter = CommitFilter(config, KeywordMatcher(load_keywords(None)))
    rows = synthetic_rows(count)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        stream = Path(scratch) / "stream.jsonl"
        stream.write_text("\n".join(rows) + "\n", encoding="utf-8")
        # The synthetic rows are all well formed; a malformed one would not be a commit to decide.
        commits = [c for _, c in read_stream(stream) if isinstance(c, CommitInfo)]

        start = time.perf_counter()
        kept = sum(commit_filter.decide(c).kept for c in commits)
        results.append(("filter (parsed commits)", len(commits), time.perf_counter() - start, kept))

        start = time.perf_counter()
        kept = sum(commit_filter.decide(c).kept for _, c in read_stream(stream) if isinstance(c, CommitInfo))
        results.append(("parse + filter (JSONL)", len(commits), time.perf_counter() - start, kept))

        small = Path(scratch) / "small.jsonl"
        small.write_text("\n".join(rows[:pipeline_count]) + "\n", encoding="utf-8")
        from safecoder.collector import pipeline

        inputs = pipeline.RunInputs(out=Path(scratch) / "candidates.jsonl", stream=small, stop_after="filter",
                                    progress=False)
        start = time.perf_counter()
        summary = pipeline.run(inputs, config, InstructConfig(instruct="none"))
        elapsed = time.perf_counter() - start
        results.append(("stream stage (+ SQLite state)", pipeline_count, elapsed, summary.written))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--commits", type=int, default=300_000, help="synthetic commits for the filter rows")
    parser.add_argument("--pipeline-commits", type=int, default=100_000, help="synthetic commits for the pipeline row")
    args = parser.parse_args(argv)
    table = Table(title=f"collector filter throughput, one core (goal {GOAL_PER_MINUTE:,} commits/min)")
    for column in ("measured", "commits", "kept", "seconds", "commits/s", "commits/min", "x goal"):
        table.add_column(column, justify="left" if column == "measured" else "right")
    for name, count, seconds, kept in measure(args.commits, args.pipeline_commits):
        per_minute = count / seconds * 60
        table.add_row(name, f"{count:,}", f"{kept:,}", f"{seconds:.2f}", f"{count / seconds:,.0f}",
                      f"{per_minute:,.0f}", f"{per_minute / GOAL_PER_MINUTE:.2f}")
    Console(width=140).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
