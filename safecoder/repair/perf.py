"""`make bench-fix`: how long `safecoder fix` takes on a 500-line file with three findings.

The goal (docs/repair.md): a verified diff in under 30 s on a 2-core machine with the
default model. The file is built here, the same every run: three weaknesses a code model
writes (an f-string SQL query, a shell command built by concatenation, `yaml.load` of
untrusted text), each in a function of its own, among benign helpers up to `--lines`
lines. Before timing, the file is analysed and must show exactly those three findings,
so a change of the rules cannot silently change what is measured.

Each round runs the real command a user types, `safecoder fix FILE --apply --seed N` on a
fresh copy of the file (model loaded in process; `--model`, `--engine`, `--candidates`
pass through), as a subprocess, and records its wall time, the findings it fixed (its
stderr lines) and the findings left in the file it wrote (analysed again here). Output: a table on stdout and, with `--json`, the figures
and the machine they were measured on.

This module measures; it asserts nothing (tests/repair does that).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VULNERABLE_FUNCTIONS = (
    ("CWE-089", '''def find_user(conn, username):
    """The account row of one user name."""
    cursor = conn.cursor()
    cursor.execute(f"SELECT id, email FROM users WHERE name = '{username}'")
    return cursor.fetchone()
'''),
    ("CWE-078", '''def archive_folder(folder):
    """Pack a folder into backup.tgz next to it."""
    os.system("tar czf backup.tgz " + folder)
'''),
    ("CWE-502", '''def read_settings(text):
    """Settings from a YAML document the user uploaded."""
    return yaml.load(text, Loader=yaml.Loader)
'''),
)

HEADER = '''"""Inventory helpers (a benchmark file of `make bench-fix`)."""

import os
import sqlite3

import yaml

'''


def _filler(index: int) -> str:
    return f'''def scaled_total_{index}(values, factor={index % 7 + 1}):
    """The sum of the values, each scaled by the factor, rounded to cents."""
    total = 0.0
    for value in values:
        if value is None:
            continue
        total += float(value) * factor
    return round(total, 2)

'''


def build_file(lines: int = 500) -> str:
    """A Python file of about `lines` lines: the three vulnerable functions spread among fillers."""
    vulnerable = [code + "\n\n" for _, code in VULNERABLE_FUNCTIONS]
    body_lines = HEADER.count("\n") + sum(code.count("\n") for code in vulnerable)
    filler_count = max(0, -(-(lines - body_lines) // _filler(0).count("\n")))
    parts = [HEADER]
    slots = {round(filler_count * (i + 1) / (len(vulnerable) + 1)): code for i, code in enumerate(vulnerable)}
    for index in range(filler_count + 1):
        if index in slots:
            parts.append(slots[index])
        if index < filler_count:
            parts.append(_filler(index))
    return "".join(parts).rstrip("\n") + "\n"


def findings_of(text: str) -> list[str]:
    from safecoder.analysis.snippet import analyze_snippet

    analysis = analyze_snippet(text, "python")
    return sorted(f.cwe for f in analysis.findings)


def run_round(path: Path, text: str, seed: int, extra: list[str]) -> dict:
    """One `safecoder fix --apply` on a fresh copy of the file; the fixed file analysed again."""
    path.write_text(text)
    command = [sys.executable, "-m", "safecoder", "fix", str(path), "--apply", "--seed", str(seed), *extra]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    lines = done.stderr.splitlines()
    fixed = path.read_text()
    return {"seed": seed, "wall_s": round(wall, 2), "exit": done.returncode,
            "fixed": sum(1 for line in lines if "fixed (verified" in line),
            "not_fixed": sum(1 for line in lines if "not fixed" in line),
            # each finding's line ends its drawing and verifying time; the rest is start-up and analysis
            "fixing_s": round(sum(float(m) for line in lines for m in re.findall(r"(\d+\.\d) s\)", line)), 1),
            "diff_lines": sum(1 for line in difflib.unified_diff(text.splitlines(), fixed.splitlines(), lineterm="", n=0)
                              if line[:1] in "+-" and line[:3] not in ("+++", "---")),
            "after_fix": findings_of(fixed) if fixed != text else None,
            "stderr_tail": lines[-6:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecoder.repair.perf", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=500, help="length of the file to fix")
    parser.add_argument("--rounds", type=int, default=3, help="runs of `safecoder fix`, seeds 0..rounds-1")
    parser.add_argument("--model", default=None, help="model reference (default: the served default)")
    parser.add_argument("--engine", default=None, help="in-process engine (default: auto)")
    parser.add_argument("--candidates", type=int, default=None, help="k rewrites per finding (default: the command's)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    text = build_file(args.lines)
    expected = sorted(cwe for cwe, _ in VULNERABLE_FUNCTIONS)
    found = findings_of(text)
    if found != expected:
        print(f"the benchmark file shows findings {found}, not {expected}: the rules changed; "
              "update VULNERABLE_FUNCTIONS", file=sys.stderr)
        return 2
    extra: list[str] = []
    for flag, value in (("--model", args.model), ("--engine", args.engine), ("--candidates", args.candidates)):
        if value is not None:
            extra += [flag, str(value)]

    rounds = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inventory.py"
        path.write_text(text)
        from tqdm.auto import tqdm

        for seed in tqdm(range(args.rounds), desc="safecoder fix rounds", unit="run"):
            rounds.append(run_round(path, text, seed, extra))

    print(f"\n`safecoder fix` on a {text.count(chr(10))}-line Python file with {len(expected)} findings "
          f"({', '.join(expected)}); model {args.model or 'default'}, {os.cpu_count()} CPUs\n")
    print("| round | wall s | of which drawing and verifying fixes | fixed (verified) | not fixed | findings left in the file | exit |")
    print("|---|---|---|---|---|---|---|")
    for r in rounds:
        after = "unchanged" if r["after_fix"] is None else (", ".join(r["after_fix"]) or "none")
        print(f"| seed {r['seed']} | {r['wall_s']:.1f} | {r['fixing_s']:.1f} | {r['fixed']} of {len(expected)} | {r['not_fixed']} | {after} | {r['exit']} |")
    walls = [r["wall_s"] for r in rounds]
    print(f"\nwall time: median {statistics.median(walls):.1f} s, max {max(walls):.1f} s (goal: under 30 s "
          "for a verified diff); the fixed files were analysed again above")
    if args.json:
        from safecoder.atomic import atomic_open

        record = {"lines": text.count("\n"), "findings": expected, "model": args.model or "default",
                  "machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "rounds": rounds}
        with atomic_open(args.json, "w") as handle:
            handle.write(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
