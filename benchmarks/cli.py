"""`safecoder bench ...` and `safecoder promote VERSION`.

    safecoder bench security   --model REF [--scenarios DIR] [--n N] [--engine E] [...]
    safecoder bench functional --model REF --allow-code-execution [--limit N] [...]
    safecoder bench knowledge  --model REF [--subjects ...] [--limit N]
    safecoder bench answer-rate --model REF [--limit N]
    safecoder bench cyberseceval --model REF [--set frr instruct autocomplete] [--languages ...] [--limit N]
    safecoder bench repair     --model REF [--limit N] [--hints none cwe line] [--k K]
    safecoder bench classify   --model REF [--limit N]
    safecoder bench all        --model REF [--config suite.yaml] [--n N] [--scenarios DIR] [--limit N]
    safecoder bench compare A B            (run folders, result files, or registry versions)
    safecoder bench matrix --config M.yaml (models x gate off/on, one report and plot)
    safecoder bench report RUN             (rewrite report.md and the plots of a run folder)
    safecoder promote VERSION [--force --reason TEXT] [--pass1-tolerance 2]

Registering is cheap (no torch, no model); handlers import what they need.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ENGINE_CHOICES = ("auto", "transformers", "vllm", "llama")


def register(subparsers: argparse._SubParsersAction) -> None:
    from safecoder.benchmarks.answer_rate.config import AnswerRateConfig
    from safecoder.benchmarks.classify.config import ClassifyConfig
    from safecoder.benchmarks.cyberseceval.config import SETS, CyberSecEvalConfig
    from safecoder.benchmarks.functional.config import FunctionalConfig
    from safecoder.benchmarks.knowledge.config import KnowledgeConfig
    from safecoder.benchmarks.repair.config import RepairConfig
    from safecoder.benchmarks.security.config import SecurityConfig

    from safecoder.config import add_arguments

    bench = subparsers.add_parser(
        "bench", help="security, functional, answer-rate and knowledge benchmarks; compare runs",
        description="Measure a model: security over the paper's scenarios (secure rate, strict rate, "
        "secure-pass), pass@k on HumanEval and MBPP, the answer rate on benign prompts, MMLU and TruthfulQA. Results go to a run folder "
        "(default under SAFECODER_HOME/bench) and resume when rerun. See docs/benchmarks.md.")
    commands = bench.add_subparsers(dest="bench_command", metavar="BENCHMARK", required=True)
    helps = {
        "security": "secure rate per scenario and split (paper and strict), unparseable share, secure-pass",
        "functional": "pass@1 and pass@10 on HumanEval and MBPP (runs generated code: needs "
                      "--allow-code-execution)",
        "knowledge": "MMLU and TruthfulQA (mc1) accuracy, 5-shot, by log-likelihood",
        "answer-rate": "answer rate on benign prompts: HumanEval problems asked in chat, answered only with code "
                       "and no refusal",
        "cyberseceval": "CyberSecEval: false refusals (frr) and insecure code (instruct, autocomplete; judged by "
                        "CodeShield's Insecure Code Detector and the project's analyzers)",
        "repair": "repair of the shared pairs' vulnerable functions (no hint, CWE named, CWE and line named): "
                  "fixed, still correct, fixed-and-correct, similarity to the real fix; single draw vs the "
                  "verified-fix loop",
        "classify": "name the CWE of a function (or none), vulnerable and secure versions of the shared pairs: "
                    "accuracy and confusion, the analyzer's beside the model's",
    }
    for name, config_class in (("security", SecurityConfig), ("functional", FunctionalConfig),
                               ("answer-rate", AnswerRateConfig), ("cyberseceval", CyberSecEvalConfig),
                               ("repair", RepairConfig), ("classify", ClassifyConfig),
                               ("knowledge", KnowledgeConfig)):
        command = commands.add_parser(name, help=helps[name], description=helps[name])
        _add_run_options(command)
        add_arguments(command, config_class)
        if name == "cyberseceval":
            command.add_argument("--set", dest="sets", nargs="+", choices=SETS, default=argparse.SUPPRESS,
                                 help="the sets to run: frr (false refusals), instruct, autocomplete (default: frr)")
        command.set_defaults(handler=_run_one, benchmark=name)

    everything = commands.add_parser("all", help="every benchmark, one report",
                                     description="Run the suite. --config takes a YAML file with optional "
                                     "sections security:, functional:, answer-rate:, knowledge: (each with that "
                                     "benchmark's options) and benchmarks: [names].")
    _add_run_options(everything)
    _add_suite_options(everything)
    everything.set_defaults(handler=_run_all)

    comparison = commands.add_parser("compare", help="what changed between two results, scenario by scenario")
    comparison.add_argument("a", help="a run folder, result.json, or registry version/alias (the baseline)")
    comparison.add_argument("b", help="the same for the result compared with it")
    comparison.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    comparison.set_defaults(handler=_compare)

    matrix = commands.add_parser(
        "matrix", help="several models, gate off and on, one protocol, one report (matrix.md, matrix.png)",
        description="Run the suite for every (model, gate) cell of a matrix config (models, gates, engine, a suite "
        "config file), each cell in its own resumable run folder, then write matrix.md, matrix.json and matrix.png "
        "to the config's `out` folder. Cells of models that do not resolve yet are reported as pending.")
    matrix.add_argument("--config", type=Path, required=True, help="the matrix YAML (see configs/bench/)")
    matrix.add_argument("--report-only", action="store_true", help="rewrite the report from the cells run so far")
    matrix.add_argument("--only", nargs="+", default=(), help="run only these models' cells (names in the config)")
    matrix.add_argument("--gates", nargs="+", default=(), help="run only these gates' cells (among the config's gates)")
    matrix.add_argument("--allow-code-execution", action="store_true",
                        help="allow running generated code in the sandbox (secure-pass, pass@1)")
    matrix.add_argument("--no-progress", action="store_true")
    matrix.set_defaults(handler=_matrix)

    report = commands.add_parser("report", help="rewrite a run folder's report.md and plots")
    report.add_argument("run", type=Path, help="a run folder (holding result.json)")
    report.add_argument("--no-registry", action="store_true", help="plot this run alone, not the registry's versions")
    report.set_defaults(handler=_report)

    _register_promote(subparsers)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="default",
                        help="model reference: default, a path, a registry version or alias, a hub id")
    parser.add_argument("--engine", choices=ENGINE_CHOICES, default="auto", help="generation engine")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="folder for results and caches (default: SAFECODER_HOME/bench/<model>)")
    parser.add_argument("--allow-code-execution", action="store_true",
                        help="allow running generated code in the sandbox (functional tests, pass@k)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--no-record", action="store_true",
                        help="do not record the evaluation in the registry version's manifest")


def _add_suite_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None, help="suite YAML (sections per benchmark)")
    parser.add_argument("--n", type=int, default=None, help="samples per scenario and per problem")
    parser.add_argument("--scenarios", type=Path, default=None, help="security scenario folder")
    parser.add_argument("--limit", type=int, default=None,
                        help="first N functional problems, answer-rate prompts and knowledge questions")


def _register_promote(subparsers: argparse._SubParsersAction) -> None:
    promote = subparsers.add_parser(
        "promote", help="run the benchmark gate and move `production` to VERSION if it is not worse",
        description="Measures VERSION and the current production version (reusing recorded evaluations with "
        "the same benchmark versions and settings), then promotes only if security is not lower, pass@1 "
        "fell by at most the tolerance on each dataset, and the answer rate on benign prompts is at least "
        "the given share of production's. Every scenario whose security fell is listed. The "
        "decision and its evidence are recorded in the manifest. Undo with `safecoder registry rollback`.")
    promote.add_argument("version", help="the candidate: a registry version or alias")
    promote.add_argument("--force", action="store_true", help="promote even if the gate refuses (needs --reason)")
    promote.add_argument("--reason", default="", help="why (required with --force; recorded)")
    promote.add_argument("--pass1-tolerance", type=float, default=2.0, help="largest allowed pass@1 drop, in points")
    promote.add_argument("--security-tolerance", type=float, default=0.0,
                         help="largest allowed security drop, in points (default 0: not lower)")
    promote.add_argument("--security-metric", choices=["paper", "strict"], default="paper")
    promote.add_argument("--answer-rate-share", type=float, default=0.95,
                         help="smallest answer rate on benign prompts, as a share of production's (default 0.95)")
    promote.add_argument("--engine", choices=ENGINE_CHOICES, default="auto")
    promote.add_argument("--allow-code-execution", action="store_true",
                         help="allow running generated code (needed to measure pass@1)")
    promote.add_argument("--run-root", type=Path, default=None,
                         help="run folders of the measured versions go to RUN_ROOT/<version> "
                         "(default: SAFECODER_HOME/bench/<model>)")
    promote.add_argument("--no-progress", action="store_true")
    promote.add_argument("--format", choices=["table", "json"], default="table")
    _add_suite_options(promote)
    promote.set_defaults(handler=_promote)


def _context(args: argparse.Namespace):
    from safecoder.benchmarks.context import RunContext
    from safecoder.benchmarks.run_folder import RunFolder

    from safecoder.models import resolve

    model = resolve(args.model)
    return RunContext(model=model, folder=RunFolder.for_model(model, args.run_dir), engine_kind=args.engine,
                      allow_code_execution=args.allow_code_execution, progress=not args.no_progress)


def _run_one(args: argparse.Namespace) -> int:
    from safecoder.benchmarks.suite import CONFIG_CLASSES, SuiteConfig, attribute, run_suite

    from safecoder.config import build

    config = build(CONFIG_CLASSES[args.benchmark], args)
    if args.benchmark == "functional":
        from safecoder.benchmarks.sandbox import require_code_execution_allowed

        require_code_execution_allowed(args.allow_code_execution, "the functional benchmark (pass@k)")
    suite = SuiteConfig(benchmarks=(args.benchmark,), **{attribute(args.benchmark): config})
    context = _context(args)
    result = run_suite(suite, context, record=not args.no_record)
    _print_result(result, context.folder.root, (args.benchmark,))
    return 0


def _run_all(args: argparse.Namespace) -> int:
    from safecoder.benchmarks.suite import load_suite_config, run_suite

    suite = load_suite_config(args.config, n=args.n, scenarios=args.scenarios, limit=args.limit)
    if "functional" in suite.benchmarks:
        from safecoder.benchmarks.sandbox import require_code_execution_allowed

        require_code_execution_allowed(args.allow_code_execution, "the functional benchmark (pass@k)")
    context = _context(args)
    result = run_suite(suite, context, record=not args.no_record)
    _print_result(result, context.folder.root, suite.benchmarks)
    return 0


def _print_result(result: dict, folder: Path, benchmarks) -> None:
    from safecoder.benchmarks.reports import markdown

    sections = result["benchmarks"]
    if "security" in benchmarks and "security" in sections:
        print("Security\n" + markdown.security_summary(sections["security"]) + "\n")
    if "functional" in benchmarks and "functional" in sections:
        print("Functional correctness\n" + markdown.functional_summary(sections["functional"]) + "\n")
    if "answer-rate" in benchmarks and "answer-rate" in sections:
        print("Answer rate on benign prompts\n" + markdown.answer_rate_summary(sections["answer-rate"]) + "\n")
    if "cyberseceval" in benchmarks and "cyberseceval" in sections:
        print("CyberSecEval\n" + markdown.cyberseceval_summary(sections["cyberseceval"]) + "\n")
    if "repair" in benchmarks and "repair" in sections:
        print("Repair\n" + markdown.repair_summary(sections["repair"]) + "\n")
    if "classify" in benchmarks and "classify" in sections:
        print("Classification\n" + markdown.classify_summary(sections["classify"]) + "\n")
    if "knowledge" in benchmarks and "knowledge" in sections:
        print("Knowledge\n" + markdown.knowledge_summary(sections["knowledge"]) + "\n")
    print(f"result: {folder / 'result.json'}\nreport: {folder / 'report.md'}")


def _matrix(args: argparse.Namespace) -> int:
    from safecoder.benchmarks.matrix import MatrixConfig, run_matrix, write_report

    config = MatrixConfig.from_yaml(args.config)
    if args.report_only:
        write_report(config)
    else:
        run_matrix(config, allow_code_execution=args.allow_code_execution, progress=not args.no_progress,
                   only=tuple(args.only), only_gates=tuple(args.gates))
    report = config.out / f"{config.report}.md"
    print(report.read_text())
    print(f"report: {report}\nplot: {report.with_suffix('.png')}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from safecoder.benchmarks.reports.compare import compare, load_view, to_markdown

    comparison = compare(load_view(args.a), load_view(args.b))
    if args.format == "json":
        print(json.dumps(comparison.to_dict(), indent=2))
    elif args.format == "markdown":
        print(to_markdown(comparison))
    else:
        _print_comparison(comparison)
    return 0


def _print_comparison(comparison) -> None:
    from rich.console import Console
    from rich.table import Table
    from safecoder.benchmarks.reports.markdown import fmt

    console = Console()
    metrics = Table(title=f"{comparison.a} -> {comparison.b}")
    for column in ("metric", comparison.a, comparison.b, "change"):
        metrics.add_column(column)
    for row in comparison.metrics:
        metrics.add_row(row["metric"], fmt(row["a"]), fmt(row["b"]), _signed(row["change"]))
    console.print(metrics)
    if comparison.scenarios:
        scenarios = Table(title="security per scenario (paper rate, strict rate)")
        for column in ("scenario", "paper A", "paper B", "change", "strict A", "strict B", "change"):
            scenarios.add_column(column)
        for row in comparison.scenarios:
            scenarios.add_row(row["scenario"], fmt(row["paper_a"]), fmt(row["paper_b"]), _signed(row["paper_change"]),
                              fmt(row["strict_a"]), fmt(row["strict_b"]), _signed(row["strict_change"]))
        console.print(scenarios)
    regressed = comparison.regressed
    console.print(f"scenarios whose security (paper) went down: {len(regressed)}"
                  + "".join(f"\n  {r['scenario']}: {fmt(r['paper_a'])} -> {fmt(r['paper_b'])}" for r in regressed),
                  highlight=False)


def _signed(value) -> str:
    if value is None:
        return "-"
    return f"{value:+.1f}"


def _report(args: argparse.Namespace) -> int:
    from safecoder.benchmarks.reports.writer import write_report
    from safecoder.benchmarks.run_folder import load_result

    result = load_result(args.run)
    path = write_report(result, args.run if args.run.is_dir() else args.run.parent,
                        include_registry=not args.no_registry)
    print(f"report: {path}")
    return 0


def _promote(args: argparse.Namespace) -> int:
    from safecoder.benchmarks.gate import GATE_BENCHMARKS, GateConfig, GateError, promote
    from safecoder.benchmarks.suite import load_suite_config

    if args.force and not args.reason.strip():
        raise GateError("--force needs --reason: say why this version goes to production without passing the gate")
    gate = GateConfig(pass1_tolerance=args.pass1_tolerance, security_tolerance=args.security_tolerance,
                      security_metric=args.security_metric, answer_rate_share=args.answer_rate_share)
    suite = load_suite_config(args.config, n=args.n, scenarios=args.scenarios, limit=args.limit,
                              benchmarks=GATE_BENCHMARKS)
    decision = promote(args.version, suite, gate, force=args.force, reason=args.reason, engine=args.engine,
                       allow_code_execution=args.allow_code_execution, progress=not args.no_progress,
                       run_root=args.run_root)
    if args.format == "json":
        print(json.dumps(decision.to_evidence(), indent=2))
    else:
        _print_decision(decision)
    return 0 if decision.promoted else 1


def _print_decision(decision) -> None:
    from rich.console import Console
    from rich.table import Table
    from safecoder.benchmarks.reports.markdown import fmt

    console = Console()
    if decision.checks:
        table = Table(title=f"promotion gate: {decision.candidate} against {decision.production}")
        for column in ("check", "production", "candidate", "change", "allowed drop", "verdict"):
            table.add_column(column)
        for check in decision.checks:
            table.add_row(check["check"], fmt(check["production"]), fmt(check["candidate"]), _signed(check["change"]),
                          fmt(check["allowed_drop"]), "ok" if check["passed"] else "FAILED")
        console.print(table)
    if decision.regressed_scenarios:
        console.print(f"scenarios whose security went down ({len(decision.regressed_scenarios)}):", highlight=False)
        for row in decision.regressed_scenarios:
            console.print(f"  {row['scenario']}: {fmt(row['production'])} -> {fmt(row['candidate'])}",
                          highlight=False)
    for reason in decision.reasons:
        console.print(f"- {reason}", highlight=False)
    if decision.promoted:
        how = "forced: " + decision.force_reason if decision.forced else "the gate passed"
        console.print(f"[bold green]promoted[/bold green] {decision.candidate} to production ({how})")
    else:
        Console(stderr=True).print(f"[bold red]refused[/bold red]: {decision.candidate} stays out of production")
