"""`safecoder analyze`: judge files from the command line, and validate the rules on the shared pairs.

```
safecoder analyze PATH... [--cwe CWE-089] [--analyzers semgrep,bandit] [--format table|json|sarif]
safecoder analyze validate-pairs [DATA] [--output docs/analysis-validation.md]
safecoder analyze validate-gate [DATA] [--labelled rows.jsonl] [--output docs/analysis.md]
safecoder analyze rules [--language python]
```

Exit status of `analyze PATH...`: 0 when every source was judged and nothing was found,
1 when any finding exists, 3 when nothing was found but some source could not be judged
(syntax error, analyzer error), 2 for bad usage (a user error, printed without a traceback).

Registering is cheap (the configuration dataclass only); the analyzers are imported
inside the handlers. `validate-pairs`, `validate-gate` and `rules` are recognised as the first PATH, so
they share the options of `analyze`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from safecoder.errors import SafeCoderError

EXIT_FINDINGS = 1
EXIT_UNJUDGED = 3


class AnalyzeUsageError(SafeCoderError):
    """A path or option of `safecoder analyze` that cannot be used."""


def register(subparsers: argparse._SubParsersAction) -> None:
    from safecoder.analysis.ensemble import AnalysisConfig
    from safecoder.config import add_arguments

    parser = subparsers.add_parser(
        "analyze", help="static analysis: judge files for CWEs; `validate-pairs`; `rules`",
        description="Judge source files for security weaknesses (Semgrep with the project's rules, Bandit, "
                    "CodeQL where installed, syntax checks). `safecoder analyze validate-pairs [DATA]` "
                    "measures the rules on the shared security pairs; `safecoder analyze validate-gate [DATA]` "
                    "measures the gate's in-process analyzer (recall and false alarms per CWE) on labelled "
                    "programs; `safecoder analyze rules` lists them.",
        epilog="Exit status: 0 nothing found, 1 findings, 3 some source could not be judged, 2 usage error.")
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="files or folders; or `validate-pairs [DATA...]`; or `validate-gate [DATA]`; or `rules`")
    parser.add_argument("--cwe", action="append", default=None,
                        help="report only this CWE (repeatable, e.g. --cwe CWE-089 --cwe 78)")
    parser.add_argument("--format", choices=("table", "json", "sarif"), default="table", help="output format")
    parser.add_argument("--output", type=Path, default=None,
                        help="write the report here instead of stdout (validate-pairs: the Markdown table)")
    parser.add_argument("--language", default=None, help="treat every file as this language (rules: filter)")
    parser.add_argument("--labelled", action="append", default=None, metavar="FILE.jsonl",
                        help="validate-gate: also judge these labelled programs, rows {code, language, cwe, "
                             "label: insecure|secure[, set]} (repeatable)")
    parser.add_argument("--no-pairs", action="store_true",
                        help="validate-gate: leave out the shared security pairs")
    add_arguments(parser, AnalysisConfig)
    parser.set_defaults(handler=_dispatch)


def _dispatch(args: argparse.Namespace) -> int:
    mode = str(args.paths[0])
    if mode == "validate-pairs":
        from safecoder.analysis.validate import run_from_cli

        return run_from_cli(args)
    if mode == "validate-gate":
        from safecoder.analysis.validate_gate import run_from_cli as validate_gate

        return validate_gate(args)
    if mode == "rules":
        return _rules_main(args)
    return _analyze_main(args)


def _analyze_main(options: argparse.Namespace) -> int:
    from safecoder import languages
    from safecoder.analysis.ensemble import AnalysisConfig, analyze_files
    from safecoder.analysis.inputs import normalize_cwes
    from safecoder.config import build, to_dict

    config = build(AnalysisConfig, options)
    # A non-empty --cwe list normalizes to a set, never to None (which means "every CWE").
    cwes = sorted(normalize_cwes(options.cwe) or ()) if options.cwe else None
    files = _expand([Path(path) for path in options.paths], options.language is not None)
    if options.language is not None:
        languages.language_of(options.language)
    results = analyze_files(files, cwes=cwes, config=config, progress=len(files) > 20, language=options.language)
    report = _render(results, options.format, to_dict(config), cwes)
    if options.output is not None:
        from safecoder.atomic import write_text

        write_text(options.output, report)
    else:
        sys.stdout.write(report)
    if any(result.findings for result in results):
        return EXIT_FINDINGS
    return EXIT_UNJUDGED if any(result.status != "ok" for result in results) else 0


def _expand(paths: list[Path], any_extension: bool) -> list[Path]:
    from safecoder import languages

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p.relative_to(path))
                           and (any_extension or languages.maybe_language_of(p.name)))
            if not found:
                raise AnalyzeUsageError(f"{path} holds no source file of a supported language")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise AnalyzeUsageError(f"{path} does not exist; give files or folders to analyse")
    return files


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") or part in ("node_modules", "__pycache__") for part in relative.parts)


def _render(results, output_format: str, config: dict, cwes: list[str] | None) -> str:
    from safecoder.analysis.ruleset import rules_version
    from safecoder.hashing import code_version

    if output_format == "json":
        document = {"schema_version": 1, "code_version": code_version(), "rules_version": rules_version(),
                    "config": config, "cwes": cwes, "results": [result.to_dict() for result in results]}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output_format == "sarif":
        from safecoder.analysis.sarif import to_sarif

        return json.dumps(to_sarif(results, tool_version=rules_version()), indent=2) + "\n"
    return _table(results)


def _table(results) -> str:
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    buffer = StringIO()
    console = Console(file=buffer, width=160, force_terminal=False, color_system=None)
    table = Table(title="Findings", show_lines=False)
    for column in ("source", "line:col", "CWE", "rule", "analyzer", "message"):
        table.add_column(column, overflow="fold")
    for result in results:
        for finding in result.findings:
            table.add_row(result.source, f"{finding.start_line}:{finding.start_column}", finding.cwe,
                          finding.rule_id, finding.analyzer, finding.message)
    if table.row_count:
        console.print(table)
    unjudged = [result for result in results if result.status != "ok"]
    for result in unjudged:
        console.print(f"{result.source}: {result.status}: {result.error}", highlight=False)
    judged = len(results) - len(unjudged)
    total = sum(len(result.findings) for result in results)
    console.print(f"{len(results)} sources, {judged} judged, {total} findings", highlight=False)
    return buffer.getvalue()


def _rules_main(options: argparse.Namespace) -> int:
    from safecoder import languages
    from safecoder.analysis.fast.registry import all_rules
    from safecoder.analysis.ruleset import rules_version, semgrep_rules
    from safecoder.cwe import normalize

    language = languages.language_of(options.language).id if options.language else None
    wanted = {normalize(cwe) for cwe in options.cwe} if options.cwe else None
    fast_ids = {rule.id for rule in all_rules()}
    lines = [f"rule set {rules_version()}"]
    for info in sorted(semgrep_rules().values(), key=lambda info: (info.cwe, info.id)):
        rule_languages = {languages.language_of(name).id for name in info.languages}
        if (language and language not in rule_languages) or (wanted and info.cwe not in wanted):
            continue
        twin = "semgrep+fast" if info.id in fast_ids else "semgrep"
        lines.append(f"{info.cwe}  {info.id:<52} {','.join(sorted(rule_languages)):<12} {twin}")
    try:
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `safecoder analyze rules | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
