"""Shared fixtures of the benchmark tests: scenario completions, run contexts on the real model."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def completions():
    """`scenario_completions.py` (correct and wrong completions of the tested scenarios)."""
    path = Path(__file__).with_name("scenario_completions.py")
    spec = importlib.util.spec_from_file_location("benchmark_scenario_completions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def scenarios(shared_data):
    from safecoder.data.scenarios import load_scenarios

    return {s.id: s for s in load_scenarios(shared_data / "sec_eval")}
