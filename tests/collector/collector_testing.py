"""Helpers for the collector's tests: run the pipeline in-process, read JSONL rows, and
start the project's own server for instruction writing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from serve_process import ServeProcess, start_serve


def run_pipeline(out: Path, **kwargs):
    from safecoder.collector import pipeline
    from safecoder.collector.config import CollectConfig, InstructConfig

    inputs_keys = {"repos", "commits", "stream", "state", "fresh", "stop_after", "clone_url"}
    inputs = pipeline.RunInputs(out=out, progress=False, **{k: v for k, v in kwargs.items() if k in inputs_keys})
    config = CollectConfig(**{k: v for k, v in kwargs.items() if k not in inputs_keys and k != "instruct"})
    instruct = kwargs.get("instruct") or InstructConfig(instruct="none")
    return pipeline.run(inputs, config, instruct)


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def start_project_server(log: Path) -> ServeProcess:
    """`safecoder serve` (the project's own server) on the embedded model, for instruction writing."""
    return start_serve(["--model", "default", "--engine", "transformers", "--gate", "off",
                        "--log-level", "warning"], log)


def verified_commits(state: Path) -> int:
    """Commits a (possibly running) collection has verified so far, read from its state file."""
    if not state.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT COUNT(*) FROM commits WHERE stage IN ('verify', 'extract')").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0  # the writer has not created the tables yet
