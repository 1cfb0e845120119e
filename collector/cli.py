"""`safecoder collect run | instruct | stats`: mine security pairs, write their instructions, report.

Registering is cheap (no git, no analyzers, no openai import); handlers import what they
need and return an exit status. Options come from `CollectConfig` / `InstructConfig`
(`--config FILE.yaml` may hold keys of both; flags win over the file).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    from safecoder.collector.config import CollectConfig, InstructConfig
    from safecoder.collector.self_answers import SelfAnswersConfig
    from safecoder.config import add_arguments

    collect = subparsers.add_parser("collect", help="mine vulnerability fixes from git history into security pairs")
    commands = collect.add_subparsers(dest="collect_command", required=True)

    run = commands.add_parser(
        "run",
        help="filter commits, verify fixes with static analysis, extract changed functions, write pairs",
        description="Mine security pairs from local repositories (--repos), a list of advisory commits "
        "(--commits) or a commit-metadata stream (--stream). Resumable: run the same command again after "
        "an interruption. Prints a table of what each stage kept and dropped.",
    )
    sources = run.add_argument_group("sources (at least one)")
    sources.add_argument("--repos", type=Path, help="a git repository, or a folder of them")
    sources.add_argument("--commits", type=Path, help="JSONL list of {repository, commit[, cwe]} (advisory databases)")
    sources.add_argument("--stream", type=Path, help="JSONL commit metadata (GH Archive-like) for the cheap filter")
    run.add_argument("--out", type=Path, required=True, help="output JSONL (security pairs; candidates with --stop-after filter)")
    run.add_argument("--state", type=Path, help="SQLite state file (default: OUT.state.sqlite)")
    run.add_argument("--fresh", action="store_true", help="forget the state and start over")
    run.add_argument("--stop-after", choices=["filter", "extract", "output"], default="output",
                     help="filter: write candidate commits; extract: stop before curation and output")
    run.add_argument("--clone-url", default=None, help="URL template for `owner/name` repositories (default: https://github.com/{repo}.git)")
    run.add_argument("--format", choices=["table", "json"], default="table", help="the closing report's format")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_arguments(run, CollectConfig)
    add_arguments(run, InstructConfig, with_config_file=False)
    run.set_defaults(handler=_run)

    instruct = commands.add_parser(
        "instruct",
        help="write the instructions of a pair file (SafeCoder, paper or SVEN rows) through an LLM endpoint",
        description="Fill in missing instructions with the paper's prompt through an OpenAI-compatible endpoint "
        "(default: the project's server, `safecoder serve`) and write SafeCoder JSONL.",
    )
    instruct.add_argument("pairs", type=Path, help="pair file or folder")
    instruct.add_argument("--out", type=Path, required=True, help="output JSONL")
    instruct.add_argument("--overwrite", action="store_true", help="rewrite instructions that already exist")
    instruct.add_argument("--keywords", type=Path, default=None, help="keyword YAML (its instruction_security_words)")
    instruct.add_argument("--max-program-chars", type=int, default=0,
                          help="leave out, unasked, pairs whose longer program has more characters (0: no limit); "
                          "the trainer drops overlong pairs anyway (about 3 characters of code per token)")
    instruct.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_arguments(instruct, InstructConfig)
    instruct.set_defaults(handler=_instruct)

    answers = commands.add_parser(
        "self-answers",
        help="the model's own answers to instruction data: a utility anchor for `safecoder train`",
        description="Answer a seeded subset of instruction samples with the model to be tuned, in its chat "
        "format, and write them as instruction data (answers cut by the token limit or without code are "
        "dropped and counted). Resumable: the same command again answers only what is missing.",
    )
    answers.add_argument("--out", type=Path, required=True, help="output JSONL (its manifest goes beside it)")
    answers.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_arguments(answers, SelfAnswersConfig)
    answers.set_defaults(handler=_self_answers)

    stats = commands.add_parser("stats", help="the stage table of a state file, or pairs per class of a pair file")
    stats.add_argument("path", type=Path, help="a run's .state.sqlite, or a pair JSONL file or folder")
    stats.add_argument("--format", choices=["table", "json"], default="table")
    stats.set_defaults(handler=_stats)


def _configs(args: argparse.Namespace, classes: tuple[type, ...]) -> list:
    """Each dataclass from defaults < the YAML file's keys for it < the flags given."""
    from safecoder.config import ConfigError, build, load_yaml

    from_file = load_yaml(args.config) if getattr(args, "config", None) else {}
    known = {f.name for cls in classes for f in dataclasses.fields(cls)}
    unknown = sorted(set(from_file) - known)
    if unknown:
        raise ConfigError(f"config file {args.config}: unknown options {unknown}; known options are {sorted(known)}")
    built = []
    for cls in classes:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in from_file.items() if k in names}
        values.update({k: v for k, v in vars(args).items() if k in names})
        built.append(build(cls, None, **values))
    return built


def _console():
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=140)


def _run(args: argparse.Namespace) -> int:
    from safecoder.collector import pipeline, report
    from safecoder.collector.config import CollectConfig, InstructConfig
    from safecoder.collector.sources import DEFAULT_CLONE_URL

    config, instruct = _configs(args, (CollectConfig, InstructConfig))
    inputs = pipeline.RunInputs(
        out=args.out, repos=args.repos, commits=args.commits, stream=args.stream, state=args.state,
        fresh=args.fresh, stop_after=args.stop_after, clone_url=args.clone_url or DEFAULT_CLONE_URL,
        progress=not args.no_progress,
    )
    summary = pipeline.run(inputs, config, instruct)
    if args.format == "json":
        print(json.dumps({
            "out": str(summary.out), "state": str(summary.state), "written": summary.written,
            "skipped": summary.skipped, "verified": summary.verified,
            "stages": report.stages_to_dict(summary.stages),
            "curation": summary.curation.to_dict() if summary.curation else None,
            "instructions": summary.instructions,
        }, indent=2))
        return 0
    console = _console()
    console.print(report.stage_table(summary.stages, summary.curation, summary.instructions))
    if summary.skipped:
        console.print(f"resumed: {summary.skipped} commits verified by an earlier run were skipped, "
                      f"{summary.verified} verified now")
    what = "candidate commits" if args.stop_after == "filter" else "security pairs"
    console.print(f"wrote {summary.written} {what} to {summary.out}" + (f" (manifest {summary.manifest})" if summary.manifest else ""))
    if summary.instructions and summary.instructions["failed"]:
        console.print(f"{summary.instructions['failed']} pairs have no instruction (see the manifest's `instructions.failures`); "
                      "fill them later with `safecoder collect instruct`")
    return 0


def _instruct(args: argparse.Namespace) -> int:
    from safecoder.collector.config import InstructConfig
    from safecoder.collector.instructions import fill_instructions
    from safecoder.collector.keywords import load_keywords
    from safecoder.config import ConfigError

    (config,) = _configs(args, (InstructConfig,))
    if not config.enabled:
        raise ConfigError("`collect instruct` needs an endpoint: --instruct URL (default http://127.0.0.1:8000/v1)")
    keywords = load_keywords(args.keywords)
    result = fill_instructions(args.pairs, args.out, config, keywords.instruction_security_words,
                               overwrite=args.overwrite, progress=not args.no_progress,
                               max_program_chars=args.max_program_chars)
    console = _console()
    report = result.report
    console.print(f"{result.pairs} pairs written to {args.out}: {report.written} new instructions, "
                  f"{report.already_had} kept, {len(report.failed)} without one "
                  f"({report.requests} requests, {report.cached_answers} cached answers; model {report.model})")
    if result.skipped_long:
        console.print(f"{result.skipped_long} pairs with a program over {args.max_program_chars} characters were left out")
    for error in result.row_errors[:10]:
        console.print(f"unreadable row: {error}", highlight=False)
    return 1 if result.row_errors else 0


def _stats(args: argparse.Namespace) -> int:
    from safecoder.collector import report
    from safecoder.collector.state import PipelineState
    from safecoder.data.loaders import DataNotFoundError, load_security_pairs

    path: Path = args.path
    if not path.exists():
        raise DataNotFoundError(f"{path} does not exist; give a run's .state.sqlite or a pair file")
    console = _console()
    if path.is_file() and path.suffix in (".sqlite", ".db", ".sqlite3"):
        state = PipelineState(path)
        try:
            stages = state.stage_counts()
            totals = state.totals()
        finally:
            state.close()
        if args.format == "json":
            print(json.dumps({"stages": report.stages_to_dict(stages), **totals}, indent=2))
        else:
            console.print(report.stage_table(stages))
            console.print(f"{totals['commits']} commits, {totals['pairs']} extracted pairs (before curation)")
        return 0
    loaded = load_security_pairs(path)
    if args.format == "json":
        counts: dict[str, int] = {}
        for pair in loaded.records:
            key = f"{pair.cwe}/{pair.language}"
            counts[key] = counts.get(key, 0) + 1
        print(json.dumps({"pairs": len(loaded.records), "per_class": counts,
                          "with_instruction": sum(p.has_instruction for p in loaded.records),
                          "errors": [str(e) for e in loaded.errors]}, indent=2))
    else:
        console.print(report.pairs_table(loaded.records))
        for error in loaded.errors[:10]:
            console.print(f"unreadable row: {error}", highlight=False)
    return 1 if loaded.errors else 0


def _self_answers(args: argparse.Namespace) -> int:
    from safecoder.collector.self_answers import SelfAnswersConfig, write_self_answers

    [config] = _configs(args, (SelfAnswersConfig,))
    summary = write_self_answers(config, args.out, progress=not args.no_progress)
    dropped = ", ".join(f"{count} {reason}" for reason, count in summary.dropped.items() if count) or "none"
    resumed = f" ({summary.skipped} answered by an earlier run)" if summary.skipped else ""
    _console().print(f"wrote {summary.kept} of {summary.selected} answers to {summary.out}{resumed}; dropped: "
                     f"{dropped}; manifest {summary.manifest}")
    return 0
