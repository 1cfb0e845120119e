"""The security benchmark: sample each scenario, cut, deduplicate, judge, test, report.

Input: a `SecurityConfig` and a `RunContext` (model, engine, run folder, sandbox).
Output: the `security` section of the run's result (per scenario, per split, per CWE),
with every scenario's samples, programs, judgments and test outcomes cached in the run
folder as soon as they exist, so an interrupted run resumes where it stopped.

Per scenario: n samples through the engine (one request, so the engine batches them),
each cut at the end of its function (`truncation`), turned into the judged program,
deduplicated (by default), judged by the analysis ensemble for every CWE in one batch
for several scenarios (`judge`), and, where code execution is allowed, tested in the
sandbox: the functional test where the scenario has one (secure-pass), and the exploit
test where it has one (the dynamic judge, `dynamic`). Metrics: `metrics`; agreement
between the judges: `agreement`.
"""

from __future__ import annotations

import fnmatch
import logging
import zlib
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.run_folder import cache_key
from safecoder.benchmarks.sandbox import Job, SandboxLimits, code_execution_allowed
from safecoder.benchmarks.security import VERSION
from safecoder.benchmarks.security.config import SecurityConfig
from safecoder.benchmarks.security.dynamic import ScenarioPrograms, judge_dynamic, sandbox_limits
from safecoder.benchmarks.security.exploit_tests import EXPLOITS_VERSION, Verdict, has_exploit
from safecoder.benchmarks.security.functional_tests import TESTS_VERSION, files_for, has_test
from safecoder.benchmarks.security.judge import Judgment, Program, judge_programs
from safecoder.benchmarks.security.metrics import rates, scenario_counts, summarize
from safecoder.benchmarks.security.pairing import (
    kept_floors,
    own_samples,
    replaced,
    sample_kept,
    sample_outcomes,
    transitions,
    transitions_by_action,
)
from safecoder.benchmarks.security.prompts import security_instruction, security_prompt
from safecoder.benchmarks.security.splits import ordered_splits, report_split
from safecoder.benchmarks.security.truncation import cut_completion, judged_program
from safecoder.config import ConfigError, to_dict
from safecoder.data.scenarios import Scenario, load_scenarios
from safecoder.errors import SafeCoderError
from safecoder.suggest.gate import DEFAULT_MIN_KEPT
from safecoder.suggest.steering import STEERING_VERSION

if TYPE_CHECKING:
    from safecoder.suggest import GateMode

logger = logging.getLogger(__name__)

CACHE_SCHEMA = 1
# Settings that change how fast a run goes, never what it finds.
NOT_RESULT_AFFECTING = ("workers", "scenarios_per_batch")
# Programs per sandbox job of the exploit tests (each still runs in its own process).
_EXPLOIT_CHUNK = 16


def default_scenarios_dir() -> Path:
    from safecoder.paths import shared_data_dir

    shared = shared_data_dir()
    if shared is None:
        raise SafeCoderError("no scenario folder given and the shared data was not found: pass --scenarios DIR")
    return shared / "sec_eval"


def select_scenarios(config: SecurityConfig) -> list[Scenario]:
    root = config.scenarios or default_scenarios_dir()
    try:
        scenarios = load_scenarios(root)
    except FileNotFoundError:
        raise SafeCoderError(f"no scenario folder at {root}: pass --scenarios DIR (the paper's format)") from None
    if config.only:
        scenarios = [s for s in scenarios if any(fnmatch.fnmatch(s.id, pattern) for pattern in config.only)]
        if not scenarios:
            raise ConfigError(f"no scenario under {root} matches --only {' '.join(config.only)}")
    return scenarios


def scenario_seed(base_seed: int, scenario_id: str) -> int:
    """A per-scenario seed: reproducible whichever scenarios run, and in whichever order."""
    return (base_seed * 1_000_003 + zlib.crc32(scenario_id.encode())) % (2**31 - 1)


def result_config(config: SecurityConfig) -> dict[str, Any]:
    values = to_dict(config)
    for name in NOT_RESULT_AFFECTING:
        values.pop(name, None)
    if config.gate == "off" or not config.gate_steer:
        # Steering acts only when the gate does; its absence keeps the hashes of results
        # recorded before it existed (registries' evaluations, the shipped model's evidence).
        values.pop("gate_steer", None)
    else:
        values["gate_steer"] = STEERING_VERSION
    if config.gate == "off" or not config.gate_min_kept:
        values.pop("gate_min_kept", None)  # likewise: 0 is the gate as it was before the floor
    return values


class SecurityBenchmark:
    def __init__(self, config: SecurityConfig, context: RunContext):
        self.config = config
        self.context = context
        self.can_execute = code_execution_allowed(context.allow_code_execution)

    # ----- cache keys ----------------------------------------------------------------
    def _generation_key(self, scenario: Scenario) -> str:
        config = self.config
        return cache_key({
            "benchmark": "security", "version": VERSION, "model": self.context.identity,
            "engine": self.context.resolved_engine_kind, "style": config.prompt_style,
            "instruction": security_instruction(scenario), "code": scenario.prompt_code,
            "n": config.n, "temperature": config.temperature, "top_p": config.top_p,
            "max_new_tokens": config.max_new_tokens, "seed": scenario_seed(config.seed, scenario.id),
            **({"gate": config.gate, "gate_candidates": config.gate_candidates} if config.gate != "off" else {}),
            # Only when on, so that the caches of plain-rerank runs made before steering stay valid.
            **({"gate_steer": STEERING_VERSION} if config.gate != "off" and config.gate_steer else {}),
            **({"gate_min_kept": config.gate_min_kept} if config.gate != "off" and config.gate_min_kept else {}),
        })

    def cache_path(self, scenario: Scenario) -> Path:
        """Where the scenario's samples, judgments and test outcomes are kept for these settings."""
        return self.context.folder.cache_path("security", "scenarios", scenario.id, key=self._generation_key(scenario))

    # ----- the run -------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        from tqdm.auto import tqdm

        scenarios = select_scenarios(self.config)
        paths = {s.id: self.cache_path(s) for s in scenarios}
        records = {s.id: self.context.folder.load(paths[s.id]) for s in scenarios}
        cached = sum(1 for record in records.values() if record is not None)
        if cached:
            # Says that an interrupted run's finished work is skipped, not redone.
            logger.info("security: %d of %d scenarios resumed from %s", cached, len(scenarios),
                        self.context.folder.root)
        if self.config.secure_pass and not self.can_execute:
            logger.warning("secure-pass is skipped: running the scenarios' functional tests needs "
                           "--allow-code-execution (see docs/benchmarks.md)")
        batch_size = self.config.scenarios_per_batch
        batches = [scenarios[i:i + batch_size] for i in range(0, len(scenarios), batch_size)]
        with tqdm(total=len(scenarios), desc="security scenarios", unit="scenario",
                  disable=not self.context.progress) as bar:
            for batch in batches:
                self._generate(batch, records, paths)
                self._judge(batch, records, paths)
                self._test(batch, records, paths)
                self._attack(batch, records, paths)
                bar.update(len(batch))
        section = self._section(scenarios, records, paths)
        if self.config.gate != "off":
            paired = self._paired(scenarios, records, batches)
            if paired is not None:
                section["paired"] = paired
        return section

    def _paired(self, scenarios: list[Scenario], records: dict, batches: list[list[Scenario]]) -> dict | None:
        """The model alone on the gate's own draws, judged like the gated samples (`pairing`);
        None for records written before the gate recorded its draws."""
        twins, twin_paths = {}, {}
        for scenario in scenarios:
            record = records[scenario.id]
            owns = own_samples(record)
            if owns is None:
                return None
            path = self.context.folder.cache_path("security", "own", scenario.id,
                                                  key=self._generation_key(scenario))
            twin = self.context.folder.load(path)
            if twin is None or twin.get("samples") != owns:
                twin = inherited(samples_record(scenario, record["prompt"], record["seed"], owns,
                                                record["finish_reasons"]), record)
                self.context.folder.save(path, twin)
            twins[scenario.id], twin_paths[scenario.id] = twin, path
        for batch in batches:
            self._judge(batch, twins, twin_paths)
            self._test(batch, twins, twin_paths)
            self._attack(batch, twins, twin_paths)
        own = self._section(scenarios, twins, twin_paths)
        dynamic = self.config.dynamic
        pairs = [(sample_outcomes(s, twins[s.id], record_correctness(twins[s.id], dynamic)),
                  sample_outcomes(s, records[s.id], record_correctness(records[s.id], dynamic)),
                  replaced(records[s.id]), records[s.id]["gate"]["sample_actions"]) for s in scenarios]
        counts = transitions((own, gated, swapped) for own, gated, swapped, _ in pairs)
        kept = [sample_kept(records[s.id]) for s in scenarios]
        floors = None
        if all(k is not None for k in kept):
            floors = [point.to_dict() for point in kept_floors(
                [(own, gated, swapped, k or []) for (own, gated, swapped, _), k in zip(pairs, kept, strict=True)])]
        return {"note": "the model alone on the gate's own draws (every sample the gate replaced put back), "
                        "judged the same way: the gate's effect without sampling noise",
                "own": own["overall"], "transitions": counts.to_dict(),
                "by_action": {kind: t.to_dict() for kind, t in transitions_by_action(pairs).items()},
                **({"kept_floors": floors} if floors is not None else {})}

    def _generate(self, batch: list[Scenario], records: dict, paths: dict) -> None:
        from safecoder.engines import GenerationRequest, SamplingParams

        pending = [s for s in batch if records[s.id] is None]
        if not pending:
            return
        engine = self.context.engine()
        config = self.config
        requests = []
        for scenario in pending:
            prompt = security_prompt(scenario, config.prompt_style, chat_template=engine.apply_chat_template)
            requests.append(GenerationRequest(prompt, SamplingParams(
                n=config.n, temperature=config.temperature, top_p=config.top_p,
                max_new_tokens=config.max_new_tokens, seed=scenario_seed(config.seed, scenario.id))))
        if config.gate == "off":
            results = engine.generate_batch(requests, progress=self.context.progress, description="sampling")
            drawn = [([c.text for c in r.completions], [c.finish_reason for c in r.completions], None)
                     for r in results]
        else:
            drawn = gated_samples(engine, pending, requests, config.gate, config.gate_candidates, config.gate_steer,
                                  config.gate_min_kept)
        for scenario, request, (texts, reasons, gate) in zip(pending, requests, drawn, strict=True):
            records[scenario.id] = samples_record(scenario, request.prompt, request.sampling.seed, texts, reasons)
            if gate is not None:
                records[scenario.id]["gate"] = gate
            self.context.folder.save(paths[scenario.id], records[scenario.id])

    def _judge(self, batch: list[Scenario], records: dict, paths: dict) -> None:
        pending = [s for s in batch if not _judged_by_current_rules(records[s.id])]
        if not pending:
            return
        programs, owners = [], []
        for scenario in pending:
            for entry in records[scenario.id]["programs"]:
                programs.append(Program(entry["code"], scenario.language, scenario.source_extension))
                owners.append(scenario.id)
        logger.info("judging %d programs of %d scenarios", len(programs), len(pending))
        judgments = judge_programs(programs, self.config.analyzers, self.config.compile_check,
                                   progress=self.context.progress)
        grouped: dict[str, list[dict]] = defaultdict(list)
        for owner, judgment in zip(owners, judgments, strict=True):
            grouped[owner].append(judgment.to_dict())
        for scenario in pending:
            records[scenario.id]["judgments"] = grouped[scenario.id]
            self.context.folder.save(paths[scenario.id], records[scenario.id])

    def _test(self, batch: list[Scenario], records: dict, paths: dict) -> None:
        if not (self.config.secure_pass and self.can_execute):
            return
        pending = [s for s in batch if has_test(s.id)
                   and records[s.id].get("functional", {}).get("tests_version") != TESTS_VERSION]
        if not pending:
            return
        sandbox = self.context.sandbox(SandboxLimits(timeout_s=self.config.test_timeout_s,
                                                     cpu_seconds=int(self.config.test_timeout_s)))
        jobs, owners = [], []
        for scenario in pending:
            files = files_for(scenario.id) or {}  # `pending` holds only scenarios with a test
            for entry in records[scenario.id]["programs"]:
                jobs.append(Job({**files, f"program.{scenario.source_extension}": entry["code"]}))
                owners.append(scenario.id)
        logger.info("running functional tests on %d programs of %d scenarios", len(jobs), len(pending))
        outcomes = sandbox.run_many(jobs, workers=self.config.workers)
        grouped: dict[str, list[dict]] = defaultdict(list)
        for owner, outcome in zip(owners, outcomes, strict=True):
            grouped[owner].append({"passed": outcome.passed, "status": outcome.status,
                                   "stderr": outcome.stderr[-500:]})
        for scenario in pending:
            records[scenario.id]["functional"] = {"tests_version": TESTS_VERSION, "isolation": sandbox.isolation,
                                                  "outcomes": grouped[scenario.id]}
            self.context.folder.save(paths[scenario.id], records[scenario.id])

    def _attack(self, batch: list[Scenario], records: dict, paths: dict) -> None:
        """The dynamic judge: each program attacked by its scenario's exploit test."""
        if not (self.config.dynamic and self.can_execute):
            return
        pending = [s for s in batch if has_exploit(s.id)
                   and records[s.id].get("dynamic", {}).get("exploits_version") != EXPLOITS_VERSION]
        if not pending:
            return
        per_program_s = self.config.test_timeout_s
        sandbox = self.context.sandbox(sandbox_limits(per_program_s, _EXPLOIT_CHUNK))
        items = [ScenarioPrograms(s.id, s.source_extension, tuple(p["code"] for p in records[s.id]["programs"]))
                 for s in pending]
        verdicts = judge_dynamic(items, sandbox, workers=self.config.workers, chunk=_EXPLOIT_CHUNK,
                                 per_program_s=per_program_s)
        for scenario, found in zip(pending, verdicts, strict=True):
            records[scenario.id]["dynamic"] = {"exploits_version": EXPLOITS_VERSION, "isolation": sandbox.isolation,
                                               "verdicts": [v.to_dict() for v in found]}
            self.context.folder.save(paths[scenario.id], records[scenario.id])

    # ----- the report ----------------------------------------------------------------
    def _section(self, scenarios: list[Scenario], records: dict, paths: dict) -> dict[str, Any]:
        entries, analyzers = [], {}
        for scenario in scenarios:
            record = records[scenario.id]
            judgments = [Judgment.from_dict(j) for j in record["judgments"]]
            for judgment in judgments:
                analyzers.update(judgment.analyzers)
            functional = record.get("functional")
            dynamic = record.get("dynamic") if self.config.dynamic else None
            verdicts = [Verdict(**v) for v in dynamic["verdicts"]] if dynamic else None
            correct, benign = correctness(functional, verdicts)
            counts = scenario_counts(scenario.cwe, judgments, [p["count"] for p in record["programs"]],
                                     self.config.deduplicate, correct,
                                     first_model_line=scenario.prompt_code.count("\n") + 1,
                                     dynamic=[v.secure for v in verdicts] if verdicts else None)
            entries.append({
                "id": scenario.id, "split": record["split"], "cwe": scenario.cwe, "language": scenario.language,
                "counts": asdict(counts), "rates": rates(counts), "functional_test": functional is not None,
                "benign_test": benign, "dynamic_test": dynamic is not None,
                "dynamic_insecure_examples": _insecure_examples(verdicts),
                # The replaced draws stay in the cache record (`pairing`), out of the result.
                "gate": {k: v for k, v in record["gate"].items() if k != "own_samples"} if record.get("gate") else None,
                "cache": str(paths[scenario.id].relative_to(self.context.folder.root)),
            })
        by_split: dict[str, list[dict]] = defaultdict(list)
        by_cwe: dict[str, list[dict]] = defaultdict(list)
        for entry in entries:
            by_split[entry["split"]].append(entry)
            by_cwe[entry["cwe"]].append(entry)
        secure_pass_note = None
        if self.config.secure_pass and not self.can_execute:
            secure_pass_note = "skipped: code execution was not allowed"
        dynamic_note = "exploit tests where a scenario has one; secure-pass uses their verdict there"
        if not self.config.dynamic:
            dynamic_note = "off (--no-dynamic)"
        elif not self.can_execute:
            dynamic_note = "skipped: code execution was not allowed"
        return {
            "version": VERSION,
            "tests_version": TESTS_VERSION,
            "exploits_version": EXPLOITS_VERSION,
            "dynamic": dynamic_note,
            "config": result_config(self.config),
            "scenarios_root": str(self.config.scenarios or default_scenarios_dir()),
            "engine": self.context.engine_description(),
            "analyzers": dict(sorted(analyzers.items())),
            "secure_pass": secure_pass_note or ("computed where a scenario has a functional test, else where its "
                                                "exploit test makes a benign request"),
            "overall": summarize(entries),
            "splits": {name: summarize(by_split[name]) for name in ordered_splits(by_split)},
            "cwes": {cwe: summarize(by_cwe[cwe]) for cwe in sorted(by_cwe)},
            "scenarios": entries,
        }


def inherited(twin: dict, record: dict) -> dict:
    """`twin` with the judgments, test outcomes and exploit verdicts of `record`'s programs
    where every program of the twin is one of the record's (a scenario where the gate
    replaced nothing, or only with programs it also drew): the same code gets the same
    verdicts, so it is not judged, tested and attacked a second time. Otherwise `twin`
    unchanged, and the runner judges it whole."""
    index = {entry["code"]: i for i, entry in enumerate(record["programs"])}
    rows = [index.get(entry["code"]) for entry in twin["programs"]]
    if any(row is None for row in rows) or "judgments" not in record:
        return twin
    twin = {**twin, "judgments": [record["judgments"][row] for row in rows if row is not None]}
    for part, key in (("functional", "outcomes"), ("dynamic", "verdicts")):
        if part in record:
            twin[part] = {**record[part], key: [record[part][key][row] for row in rows if row is not None]}
    return twin


def record_correctness(record: dict, dynamic: bool = True) -> list[bool | None] | None:
    """`correctness` of a judged record's programs."""
    found = record.get("dynamic") if dynamic else None
    return correctness(record.get("functional"), [Verdict(**v) for v in found["verdicts"]] if found else None)[0]


def correctness(functional: dict | None, verdicts: list[Verdict] | None) -> tuple[list[bool | None] | None, bool]:
    """Per program, whether it works (None: not tested), and whether that came from the
    exploit test's benign request: the functional test's outcome where the scenario has
    one, else the benign request's, so that secure-pass also covers the scenarios whose
    only test is an exploit test (a program that refuses every request is not correct)."""
    if functional:
        return [o["passed"] for o in functional["outcomes"]], False
    if verdicts and any(v.works is not None for v in verdicts):
        return [v.works for v in verdicts], True
    return None, False


def _insecure_examples(verdicts: list[Verdict] | None, limit: int = 3) -> list[str]:
    """The evidence of the first few programs the exploit test found insecure."""
    return [v.evidence for v in verdicts or () if v.verdict == "insecure"][:limit]


def _judged_by_current_rules(record: dict) -> bool:
    """Whether the record's cached judgments came from the project's rules as they are now.
    Samples are kept across rule changes (they cost the model's time); judgments are not,
    so two models compared in one report are always judged by the same rules."""
    from safecoder.analysis.ruleset import rules_version

    judgments = record.get("judgments")
    if judgments is None:
        return False
    current = f"/{rules_version()}"
    return all(str(j.get("analyzers", {}).get("semgrep", current)).endswith(current) for j in judgments)


def samples_record(scenario: Scenario, prompt: str, seed: int | None, completions: list[str],
                   finish_reasons: list[str]) -> dict[str, Any]:
    """A scenario's cache record once sampled: the raw samples and the distinct judged programs."""
    return {
        "schema": CACHE_SCHEMA, "benchmark_version": VERSION, "scenario": scenario.id,
        "split": report_split(scenario), "cwe": scenario.cwe, "language": scenario.language,
        "prompt": prompt, "seed": seed, "samples": completions, "finish_reasons": finish_reasons,
        "programs": _programs(scenario, completions),
    }


def gated_samples(engine, scenarios: list[Scenario], requests: list, mode: GateMode,
                  candidates: int, steer: bool = True, min_kept: float = DEFAULT_MIN_KEPT) -> list[tuple]:
    """Samples chosen by the served security gate, per scenario: (texts, finish reasons, gate record).

    The gate is the served one, on the one suggestion path (`safecoder.suggest`): the same
    analyzer, draw policy (lazy: extra candidates only for a sample with findings) and
    choice. It judges each candidate as the benchmark's judge will see it: cut at the end
    of its function and placed after the scenario's code.
    """
    import asyncio

    from safecoder.engines.base import run_sync
    from safecoder.suggest import CompletionCheck, SecurityGate, load_analyzer, suggest

    gate = SecurityGate(load_analyzer(), candidates=candidates, draw="lazy", steer=steer, min_kept=min_kept)

    async def one(scenario: Scenario, request) -> tuple:
        def finish(text: str, stopped: bool) -> tuple[str, bool]:
            return cut_completion(text, scenario.source_extension), False

        check = CompletionCheck(gate.analyzer, scenario.file_context + scenario.func_context, "", scenario.language)
        report = await suggest(gate, mode, engine, request.prompt, request.sampling, check, finish)
        actions: dict[str, int] = defaultdict(int)
        for outcome in report.outcomes:
            actions[outcome.action] += 1
        record = {"mode": mode, "candidates": candidates, "actions": dict(actions),
                  "drawn": sum(o.candidates for o in report.outcomes),
                  **({"steer": True, "hinted": sum(1 for o in report.outcomes if o.hinted)} if steer else {}),
                  # Per sample: what the gate did, and the model's own draw where it returned
                  # another, so that its effect can be judged pairwise, not against a rerun.
                  "sample_actions": [o.action + ("+hinted" if o.hinted else "") for o in report.outcomes],
                  "own_samples": [o.own.text if o.own is not None else None for o in report.outcomes],
                  # and how much of that draw the returned one kept (`safecoder.suggest.kept`)
                  "sample_kept": [o.kept for o in report.outcomes]}
        return ([o.text for o in report.outcomes], [o.finish_reason for o in report.outcomes], record)

    async def all_scenarios() -> list[tuple]:
        return list(await asyncio.gather(*(one(s, r) for s, r in zip(scenarios, requests, strict=True))))

    return run_sync(all_scenarios())


def _programs(scenario: Scenario, completions: list[str]) -> list[dict[str, Any]]:
    """The distinct judged programs, in order of first appearance, with their sample counts."""
    programs: dict[str, dict[str, Any]] = {}
    for index, completion in enumerate(completions):
        code = judged_program(scenario.file_context, scenario.func_context,
                              cut_completion(completion, scenario.source_extension))
        if code in programs:
            programs[code]["count"] += 1
        else:
            programs[code] = {"code": code, "count": 1, "first_sample": index}
    return list(programs.values())


def run_security(config: SecurityConfig, context: RunContext) -> dict[str, Any]:
    return SecurityBenchmark(config, context).run()
