"""Runs CodeShield's Insecure Code Detector (ICD) over a batch of sources, inside its own environment.

This file is not imported by SafeCoder: `icd_backend` runs it as a script with the
Python of `$VENV/opt/codeshield` (CodeShield and the Semgrep its rules parse under), so
it may import only the standard library and `codeshield`.

Input (stdin, JSON): `{"usecase": "cyberseceval", "jobs": 2, "rules_root": null,
"sources": [{"index": 0, "language": "python", "code": "..."}]}`; `language` is one of
ICD's own (`c`, `cpp`, `java`, `javascript`, `python`, `ruby`, ...); `rules_root`
replaces ICD's rule folder and `semgrep_core` its Semgrep (tests use them to break a
rule, or to run the rules under a Semgrep that rejects them). Output (stdout, JSON):
`{"codeshield": version, "semgrep": version, "self_check": {language: error or null},
"results": [{"index": 0, "issues": [...], "error": null}]}`.

Self-check, once per language in the batch, before any source is judged: ICD discards
Semgrep's errors and reports "no issues" when its rules do not load, so here (1) the
language's Semgrep rule file is run on an empty file and every rule-parse error is a
failure (except the rules listed in `KNOWN_BROKEN_RULES`), and (2) a canary, a snippet
ICD is known to flag, must be flagged by each of the language's analyzers (regex,
Semgrep). A language that fails either check gets its error on every source; it is
never judged "no issues".

Each source goes through ICD's own `analyze`, as CyberSecEval runs it (one Semgrep
process per source, `jobs` at a time). This driver does not interpret findings; the
backend maps them to SafeCoder's records.
"""

# pyright: reportMissingImports=false
# (`codeshield` is installed in `$VENV/opt/codeshield` alone, never in the project's
# environment that pyright reads; this file imports nothing else outside the standard library.)

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from codeshield.insecure_code_detector import insecure_code_detector as icd
from codeshield.insecure_code_detector import oss
from codeshield.insecure_code_detector.analyzers import Analyzer
from codeshield.insecure_code_detector.languages import Language, get_file_extension
from codeshield.insecure_code_detector.usecases import UseCase

# Fails to parse under Semgrep 1.90.0 and 1.182.0 alike ("Invalid pattern for Java:
# import java.net.URL ..."); Semgrep skips it and runs the other Java rules, so ICD's
# Java SSRF check never fires, in CyberSecEval's runs as in ours. Any other rule error fails.
KNOWN_BROKEN_RULES = {"java": {"ssrf_insecure_patterns"}}

# Per language: a snippet and the pattern ids each analyzer must report on it.
CANARIES = {
    "python": ("import hashlib\nimport pickle\n\ndef load(data):\n    print(hashlib.md5(data).hexdigest())\n"
               "    return pickle.loads(data)\n",
               {"regex": "insecure-md5-hash-usage", "semgrep": "unsafe-pickle-use"}),
    "c": ("#include <string.h>\n\nvoid copy(char *out, const char *in) {\n    strcpy(out, in);\n}\n",
          {"regex": "bugprone-strcpy", "semgrep": "vulnerable-strcpy"}),
    "cpp": ("#include <cstring>\n\nvoid copy(char *out, const char *in) {\n    strcpy(out, in);\n}\n",
            {"regex": "bugprone-strcpy", "semgrep": "vulnerable-strcpy"}),
    "javascript": ("function run(code) {\n    return eval('(' + code + ')');\n}\n",
                   {"semgrep": "eval-with-expression"}),
    "java": ("import java.io.*;\nimport java.security.MessageDigest;\n\nclass Load {\n"
             "    Object read(InputStream in) throws Exception {\n        MessageDigest.getInstance(\"MD5\");\n"
             "        return new ObjectInputStream(in).readObject();\n    }\n}\n",
             {"regex": "weak-md5-hashing", "semgrep": "deserialization_insecure_untrusted_data"}),
    "ruby": ("require 'open3'\n\ndef run(cmd)\n  Open3.popen3(cmd)\nend\n", {"regex": "RUBY-R-001"}),
}


def _rule_file(language: Language, usecase: UseCase) -> Path:
    """The Semgrep rules ICD passes for `language` (its generated file, else the language folder)."""
    generated = oss.SEMGREP_RULE_REPO_PATH / "_generated_" / f"{language.value}_{usecase.value}.json"
    return generated if generated.exists() else oss.SEMGREP_RULE_REPO_PATH / language.value


def _rules_load(language: Language, usecase: UseCase) -> str | None:
    """None when every rule of the language loads in ICD's Semgrep, else why not."""
    if Analyzer.SEMGREP not in icd.LANGUAGE_ANALYZER_MAP.get(language, []):
        return None
    rules = _rule_file(language, usecase)
    if not rules.exists():
        return f"ICD's Semgrep rules for {language.value} are missing ({rules})"
    with tempfile.TemporaryDirectory(prefix="safecoder-icd-check-") as scratch:
        target = Path(scratch) / f"empty{get_file_extension(language)}"
        target.write_text("\n")
        command = [*oss.SEMGREP_COMMAND, str(rules), str(target)]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    start = completed.stdout.find("{")
    try:
        report = json.loads(completed.stdout[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        report = None
    if report is None:
        tail = " ".join((completed.stderr or completed.stdout).strip().splitlines()[-3:])[:400]
        return f"ICD's Semgrep wrote no report (exit status {completed.returncode}): {tail or 'no output'}"
    allowed = KNOWN_BROKEN_RULES.get(language.value, set())
    # Rule ids come back prefixed with the rule file's path (`a.b._generated_.rule-id`).
    problems = [e for e in report.get("errors", [])
                if e.get("level") == "error" and str(e.get("rule_id", "")).rsplit(".", 1)[-1] not in allowed]
    if problems:
        first = " ".join(str(problems[0].get("message", problems[0].get("type", ""))).split())[:300]
        return (f"{len(problems)} of ICD's {language.value} Semgrep rules do not load under Semgrep "
                f"{report.get('version', '?')}: {first}")
    return None


async def _canary(language: Language, usecase: UseCase) -> str | None:
    """None when ICD flags the language's canary with each expected analyzer, else what it missed."""
    snippet, expected = CANARIES.get(language.value, (None, {}))
    if snippet is None:
        return None
    issues = await icd.analyze(language, snippet, usecase=usecase)
    found = {(str(issue.analyzer), issue.pattern_id or "") for issue in issues}
    missing = [f"{analyzer} {pattern}" for analyzer, pattern in expected.items()
               if not any(a == analyzer and p.rsplit(".", 1)[-1] == pattern for a, p in found)]
    if missing:
        return (f"ICD's self-check failed for {language.value}: its canary was not flagged by "
                f"{', '.join(missing)} (found {sorted(p for _, p in found) or 'nothing'})")
    return None


async def _self_check(language: Language, usecase: UseCase) -> str | None:
    try:
        return _rules_load(language, usecase) or await _canary(language, usecase)
    except Exception as exc:  # any failure of the judge is reported, never "no issues"
        return f"ICD's self-check for {language.value} crashed: {type(exc).__name__}: {exc}"


def _issue(issue) -> dict:
    return {"analyzer": str(issue.analyzer), "pattern_id": (issue.pattern_id or "").rsplit(".", 1)[-1],
            "cwe": issue.cwe_id or "", "severity": str(issue.severity).lower(), "line": issue.line,
            "column": issue.char, "message": " ".join(str(issue.description or "").split())}


async def _judge(source: dict, usecase: UseCase, failed: dict[str, str | None], gate: asyncio.Semaphore) -> dict:
    index, language = source["index"], source["language"]
    if failed.get(language):
        return {"index": index, "issues": [], "error": failed[language]}
    async with gate:
        try:
            issues = await icd.analyze(Language(language), source["code"], usecase=usecase)
        except Exception as exc:  # one crash must not hide the other verdicts
            return {"index": index, "issues": [], "error": f"ICD failed: {type(exc).__name__}: {exc}"}
    return {"index": index, "issues": [_issue(issue) for issue in issues], "error": None}


async def _main(request: dict, scratch: Path) -> dict:
    usecase = UseCase(request.get("usecase", "cyberseceval"))
    if request.get("rules_root"):
        oss.RULES_ROOT = Path(request["rules_root"])
        oss.SEMGREP_RULE_REPO_PATH = oss.RULES_ROOT / "semgrep"
    if request.get("semgrep_core"):
        # semgrep-core acts as osemgrep only when called by that name.
        link = scratch / "osemgrep"
        link.symlink_to(Path(request["semgrep_core"]).resolve())
        oss.SEMGREP_COMMAND[0] = str(link)
    languages = sorted({source["language"] for source in request["sources"]})
    unknown = [name for name in languages if name not in {member.value for member in Language}]
    checks: dict[str, str | None] = {name: f"ICD does not know the language {name!r}" for name in unknown}
    for name in languages:
        if name not in checks:
            checks[name] = await _self_check(Language(name), usecase)
    gate = asyncio.Semaphore(max(1, int(request.get("jobs", 2))))
    results = await asyncio.gather(*(_judge(source, usecase, checks, gate) for source in request["sources"]))
    return {"codeshield": version("codeshield"), "semgrep": version("semgrep"), "self_check": checks,
            "results": list(results)}


def main() -> int:
    # ICD logs each Semgrep exit status 2 at FATAL level (the known-broken Java rule causes
    # one per Java source); the self-check above reports rule problems instead.
    logging.getLogger("codeshield").setLevel(logging.CRITICAL + 1)
    request = json.load(sys.stdin)
    with tempfile.TemporaryDirectory(prefix="safecoder-icd-") as scratch:
        json.dump(asyncio.run(_main(request, Path(scratch))), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
