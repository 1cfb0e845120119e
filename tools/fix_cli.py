"""`safecoder fix PATH...`: a verified rewrite for every finding, as a diff or applied.

    safecoder fix app.py                                   # the default model in process; print a diff
    safecoder fix --server-url http://127.0.0.1:8000 src/*.js
    safecoder fix --apply --candidates 6 handler.go        # write the fixes (atomically)
    safecoder fix --ensemble app.py                        # also Semgrep and Bandit's findings

Rewrites come from the served model over the OpenAI-compatible HTTP API (`--server-url`,
the API key from the environment variable `--api-key-env` names) or from an engine in
this process (`--model`, `--engine`): the language server's two backends, through the
same `safecoder.repair` path as the editor's "Fix with SafeCoder". Only verified rewrites
are printed or written; each refused finding is listed on stderr with the reasons.

Exit status: 0 every finding got a verified fix (or there were none), 1 some did not
(or a file could not be analysed, or changed before `--apply` could write it), 2 bad
input (a missing file, an unknown language, a bad option).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

logger = logging.getLogger(__name__)

ENGINE_CHOICES = ("auto", "transformers", "vllm", "llama")


def register(subparsers: argparse._SubParsersAction) -> None:
    from safecoder.config import add_arguments
    from safecoder.repair.fixer import FixSettings

    parser = subparsers.add_parser(
        "fix", help="rewrite each function the analyzer flags; keep only verified rewrites (diff or --apply)",
        description="For every finding of the analyzer, ask the model for a rewrite of the enclosing function "
        "and keep the first one that parses, compiles where a checker is installed, and in which the analyzer "
        "no longer finds the CWE (nor a new one). Prints a unified diff, or writes it with --apply. Exit 0: "
        "every finding fixed; 1: some not; 2: bad input. See docs/repair.md.")
    parser.add_argument("paths", nargs="+", help="source files to fix")
    parser.add_argument("--apply", action="store_true",
                        help="write the fixes into the files (atomically; a file changed since it was analysed "
                        "is left alone)")
    parser.add_argument("--server-url", default=None,
                        help="a SafeCoder (or any OpenAI-compatible) HTTP server; unset runs the model in process")
    parser.add_argument("--api-key-env", default="SAFECODER_API_KEY",
                        help="environment variable holding the server's API key (default: SAFECODER_API_KEY)")
    parser.add_argument("--model", default="default",
                        help="in process: a model reference; with --server-url: the model name ('default': the "
                        "server's first)")
    parser.add_argument("--engine", choices=ENGINE_CHOICES, default="auto", help="in-process engine")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one request to the server may take")
    parser.add_argument("--ensemble", action="store_true",
                        help="also the batch analyzers (Semgrep, Bandit): their findings are fixed too, and every "
                        "rewrite is judged by them as well")
    add_arguments(parser, FixSettings, with_config_file=False)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from safecoder.config import build
    from safecoder.repair.files import read_source
    from safecoder.repair.fixer import FixSettings

    settings = build(FixSettings, args)
    for path in args.paths:  # bad input is refused before any model loads
        read_source(path)
    return asyncio.run(_fix_all(args, settings))


async def _fix_all(args: argparse.Namespace, settings) -> int:
    from safecoder.repair.files import FileChangedError, fix_file
    from safecoder.repair.verify import ensemble_judge, fast_judge
    from safecoder.server.lsp.fixes import BackendCandidates

    backend = _backend(args)
    judge = ensemble_judge() if args.ensemble else fast_judge
    status = 0
    try:
        for path in args.paths:
            repair = await fix_file(path, BackendCandidates(backend), settings, judge=judge)
            if not repair.all_fixed:
                status = 1
            _report(repair)
            if not repair.changed:
                continue
            if args.apply:
                try:
                    repair.apply()
                    print(f"fixed {repair.path}", file=sys.stderr)
                except FileChangedError as exc:
                    print(f"refused: {exc}", file=sys.stderr)
                    status = 1
            else:
                sys.stdout.write(repair.diff())
    finally:
        await backend.close()
    return status


def _backend(args: argparse.Namespace):
    if args.server_url:
        from safecoder.config import ConfigError
        from safecoder.server.lsp.remote_backend import RemoteBackend

        if not args.server_url.startswith(("http://", "https://")):
            raise ConfigError(f"--server-url {args.server_url!r} must start with http:// or https://")
        return RemoteBackend(args.server_url, os.environ.get(args.api_key_env), model=args.model,
                             timeout_s=args.timeout)
    from safecoder.server.lsp.engine_backend import EngineBackend

    return EngineBackend(model=args.model, engine_kind=args.engine)


def _report(repair) -> None:
    """One line per finding on stderr: fixed, or why not."""
    if repair.status != "ok":
        print(f"{repair.path}: not analysed ({repair.status}: {repair.error})", file=sys.stderr)
        return
    if not repair.findings:
        print(f"{repair.path}: no findings", file=sys.stderr)
        return
    for attempt in repair.attempts:
        finding, outcome = attempt.finding, attempt.outcome
        where = f"{repair.path}:{finding.start_line}"
        if outcome.verified:
            print(f"{where}: {finding.cwe} fixed (verified; candidate {outcome.accepted + 1} of "
                  f"{outcome.candidates}; {attempt.seconds:.1f} s)", file=sys.stderr)
        else:
            print(f"{where}: {finding.cwe} not fixed ({attempt.seconds:.1f} s): {outcome.reason}", file=sys.stderr)
    for finding in repair.remaining:
        if not any(a.finding.cwe == finding.cwe and a.outcome.verified is False for a in repair.attempts):
            print(f"{repair.path}:{finding.start_line}: {finding.cwe} remains", file=sys.stderr)
