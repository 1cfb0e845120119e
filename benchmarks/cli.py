"""`safecoder bench ...` and `safecoder promote VERSION`.

    safecoder bench security   --model REF [--scenarios DIR] [--n N] [--engine E] [...]
    safecoder bench functional --model REF --allow-code-execution [--limit N] [...]
    safecoder bench knowledge  --model REF [--subjects ...] [--limit N]
    safecoder bench answer-rate --model REF [--limit N]
    safecoder bench cyberseceval --model REF [--set frr instruct autocomplete] [--languages ...] [--limit N]
    safecoder bench repair     --model REF [--limit N] [--hints none cwe line] [--k K]
    safecoder bench classify   --model REF [--limit N]
    safecoder bench NAME       --model REF [...]  (any benchmark of the catalog, plug-ins included)
    safecoder bench all        --model REF [--config suite.yaml] [--n N] [--scenarios DIR] [--limit N]
    safecoder bench list                   (every benchmark: version, gate rule, where it was found)
    safecoder bench compare A B            (run folders, result files, shipped.json, or registry versions)
    safecoder bench matrix --config M.yaml (models x gate off/on, one report and plot)
    safecoder bench report RUN             (rewrite report.md and the plots of a run folder)
    safecoder bench labelled-set RUN... --output FILE.jsonl  (programs labelled by the exploit tests)
    safecoder promote VERSION [--force --reason TEXT] [--pass1-tolerance 2]

The benchmark commands come from the catalog (`safecoder.benchmarks.catalog`): each
benchmark's flags are its config's fields, its help its declared line. Registering is
cheap (configs only: no torch, no model); handlers import what they need.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ENGINE_CHOICES = ("auto", "transformers", "vllm", "llama")


def register(subparsers: argparse._SubParsersAction) -> None:
    from safecoder.benchmarks import catalog

    benchmarks = catalog.benchmarks()
    bench = subparsers.add_parser(
        "bench", help="security, functional, answer-rate, knowledge and plug-in benchmarks; compare runs",
        description="Measure a model: security over the paper's scenarios (secure rate, strict rate, "
        "secure-pass), pass@k on HumanEval and MBPP, the answer rate on benign prompts, MMLU and TruthfulQA, and "
        "any benchmark plug-in on SAFECODER_BENCHMARK_PATH (`safecoder bench list`). Results go to a run folder "
        "(default under SAFECODER_HOME/bench) and resume when rerun. See docs/benchmarks.md.")
    commands = bench.add_subparsers(dest="bench_command", metavar="BENCHMARK", required=True)
    for benchmark in benchmarks:
        command = commands.add_parser(benchmark.name, help=benchmark.help, description=benchmark.help)
        _add_run_options(command)
        benchmark.add_arguments(command)
        command.set_defaults(handler=_run_one, benchmark=benchmark.name)

    listing = commands.add_parser("list", help="every benchmark the suite knows (built-in and plug-ins)")
    listing.set_defaults(handler=_list)

    defaults = [b.name for b in benchmarks if b.default]
    everything = commands.add_parser(
        "all", help="every benchmark, one report",
        description="Run the suite. --config takes a YAML file with optional sections "
        f"{', '.join(b.name + ':' for b in benchmarks)} (each with that benchmark's options) and benchmarks: "
        f"[names] (default: {', '.join(defaults)}). Benchmarks: "
        + "; ".join(f"{b.name} ({b.version}): {b.help}" for b in benchmarks) + ".")
    _add_run_options(everything)
    _add_suite_options(everything)
    everything.set_defaults(handler=_run_all)

    comparison = commands.add_parser("compare", help="what changed between two results, scenario by scenario")
    comparison.add_argument("a", help="a run folder, result.json, a shipped model's shipped.json (what is served; "
                                      "shipped.json#evaluated: what its adapter measured), or a registry "
                                      "version/alias (the baseline)")
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

    record = commands.add_parser(
        "record", help="record a finished run's evaluation in a registry version's manifest",
        description="Record RUN's results (a run folder or its result.json) as VERSION's evaluation, so that "
        "`safecoder promote` reuses them instead of measuring again. Refused unless the run measured exactly "
        "that version: through the version itself, the same adapter files (SHA-256) on the same base, or the "
        "same packaged model.")
    record.add_argument("run", type=Path, help="a finished run folder (a `bench matrix` cell, a --run-dir)")
    record.add_argument("version", help="the registry version or alias it measured")
    record.set_defaults(handler=_record)

    report = commands.add_parser("report", help="rewrite a run folder's report.md and plots")
    report.add_argument("run", type=Path, help="a run folder (holding result.json)")
    report.add_argument("--no-registry", action="store_true", help="plot this run alone, not the registry's versions")
    report.set_defaults(handler=_report)

    labelled = commands.add_parser(
        "labelled-set", help="the programs security runs wrote, labelled by the exploit tests, as JSONL",
        description="Export the programs of one or more security-run folders (a `bench security` run folder, a "
        "`bench matrix` cell) that the dynamic judge decided, as rows {code, language, cwe, label, set} for "
        "`safecoder analyze validate-gate --labelled FILE`: label insecure where the scenario's exploit test "
        "succeeded, secure where every attack failed. Left out: programs without a current exploit verdict, "
        "not_run and error verdicts, functional-test failures, duplicates (same language, CWE and code), and "
        "programs whose verdicts disagree between runs. A manifest FILE.manifest.json records the sources and "
        "the counts. The run folders are only read.")
    labelled.add_argument("runs", nargs="+", type=Path, help="security-run folders (holding security/scenarios/)")
    labelled.add_argument("--output", type=Path, required=True, help="the JSONL to write (atomically)")
    labelled.add_argument("--set", dest="set_name", default="model-written",
                          help="the rows' set name, as validate-gate reports it (default: model-written)")
    labelled.set_defaults(handler=_labelled_set)

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
    from safecoder.benchmarks import catalog
    from safecoder.config import add_arguments

    gated = catalog.gated()
    promote = subparsers.add_parser(
        "promote", help="run the benchmark gate and move `production` to VERSION if it is not worse",
        description="Measures VERSION and the current production version (reusing recorded evaluations with "
        "the same benchmark versions and settings) on the gated benchmarks "
        f"({', '.join(b.name for b in gated)}), then promotes only if every check passes: security is not lower, "
        "pass@1 fell by at most the tolerance on each dataset, the answer rate on benign prompts is at least "
        "the given share of production's, and a plug-in's own thresholds hold. Every scenario whose security fell "
        "is listed. The decision and its evidence are recorded in the manifest. Undo with "
        "`safecoder registry rollback`.")
    promote.add_argument("version", help="the candidate: a registry version or alias")
    promote.add_argument("--force", action="store_true", help="promote even if the gate refuses (needs --reason)")
    promote.add_argument("--reason", default="", help="why (required with --force; recorded)")
    for benchmark in gated:  # --security-tolerance, --security-metric, --pass1-tolerance, --answer-rate-share, ...
        if benchmark.gate_options is not None:  # always, for a gated benchmark
            add_arguments(promote.add_argument_group(f"{benchmark.name} gate"), benchmark.gate_options,
                          with_config_file=False)
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
    from safecoder.benchmarks import catalog
    from safecoder.benchmarks.suite import SuiteConfig, run_suite
    from safecoder.config import build

    benchmark = catalog.get(args.benchmark)
    config = build(benchmark.config_class, args)
    _require_code_execution([benchmark.name], args.allow_code_execution)
    suite = SuiteConfig(benchmarks=(benchmark.name,), sections={benchmark.name: config})
    context = _context(args)
    result = run_suite(suite, context, record=not args.no_record)
    _print_result(result, context.folder.root, (benchmark.name,))
    return 0


def _run_all(args: argparse.Namespace) -> int:
    from safecoder.benchmarks.suite import load_suite_config, run_suite

    suite = load_suite_config(args.config, n=args.n, scenarios=args.scenarios, limit=args.limit)
    _require_code_execution(suite.benchmarks, args.allow_code_execution)
    context = _context(args)
    result = run_suite(suite, context, record=not args.no_record)
    _print_result(result, context.folder.root, suite.benchmarks)
    return 0


def _require_code_execution(names, allowed: bool) -> None:
    """Refuse to start a benchmark that runs generated code without the explicit opt-in."""
    from safecoder.benchmarks import catalog
    from safecoder.benchmarks.sandbox import require_code_execution_allowed

    for name in names:
        if catalog.get(name).needs_code_execution:
            purpose = "the functional benchmark (pass@k)" if name == "functional" else f"the {name} benchmark"
            require_code_execution_allowed(allowed, purpose)


def _print_result(result: dict, folder: Path, benchmarks) -> None:
    from safecoder.benchmarks import catalog

    sections = result["benchmarks"]
    for benchmark in catalog.benchmarks():
        if benchmark.name in benchmarks and benchmark.name in sections:
            typed = benchmark.result_class.from_record(sections[benchmark.name])
            print(f"{benchmark.title}\n{typed.table()}\n")
    print(f"result: {folder / 'result.json'}\nreport: {folder / 'report.md'}")


def _list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from safecoder.benchmarks import catalog

    table = Table(title="benchmarks (in run order)")
    for column in ("name", "version", "in `bench all`", "gate", "runs code", "found in", "measures"):
        table.add_column(column)
    for b in catalog.benchmarks():
        gate = ", ".join(f.replace("_", "-") for f in b.gate_options.__dataclass_fields__) if b.gate_options else "-"
        table.add_row(b.name, b.version, "yes" if b.default else "on request", gate,
                      "yes" if b.needs_code_execution else "no", b.source, b.help)
    Console(width=200).print(table)
    return 0


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


def _record(args: argparse.Namespace) -> int:
    from safecoder.benchmarks.record import record_run

    record = record_run(args.run, args.version)
    print(f"recorded {', '.join(sorted(record['benchmarks']))} from {args.run} in {args.version}'s manifest")
    return 0


def _labelled_set(args: argparse.Namespace) -> int:
    from safecoder.benchmarks.security.labelled_set import build_labelled_set, write_labelled_set

    labelled = build_labelled_set(args.runs, args.set_name)
    command = (f"safecoder bench labelled-set {' '.join(str(run) for run in args.runs)} --output {args.output}"
               + (f" --set {args.set_name}" if args.set_name != "model-written" else ""))
    manifest = write_labelled_set(labelled, args.output, command)
    labels = labelled.labels()
    left_out = ", ".join(f"{count} {reason}" for reason, count in sorted(labelled.excluded.items()) if count)
    print(f"wrote {len(labelled.rows)} programs ({labels['insecure']} insecure, {labels['secure']} secure) to "
          f"{args.output}; left out: {left_out or 'none'}; manifest: {manifest}")
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
    if comparison.paired:
        console.print("security change paired by scenario (mean of the per-scenario changes, 95% bootstrap "
                      "interval):" + "".join(f"\n  {line}" for line in comparison.paired_lines()), highlight=False)
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
    from safecoder.benchmarks import catalog
    from safecoder.benchmarks.promotion import GateConfig, gate_benchmarks, promote
    from safecoder.benchmarks.suite import load_suite_config

    thresholds = {f: getattr(args, f) for b in catalog.gated() if b.gate_options is not None
                  for f in b.gate_options.__dataclass_fields__ if hasattr(args, f)}
    gate = GateConfig(**thresholds)
    suite = load_suite_config(args.config, n=args.n, scenarios=args.scenarios, limit=args.limit,
                              benchmarks=gate_benchmarks())
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
    if decision.security_paired:
        console.print(f"security change paired by scenario, 95% interval: {decision.security_paired}",
                      highlight=False)
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
