"""Shared, expensive things for the collector's tests: the fixture repositories and one
reference run of the whole pipeline over them (real git, real Semgrep and Bandit)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from collector_testing import read_rows, run_pipeline
from fixture_repos import Expected, RepoBuilder, build_repositories


@dataclass
class Fixtures:
    root: Path
    builders: dict[str, RepoBuilder]
    expected: list[Expected]

    def sha_of(self, repository: str, message: str) -> str:
        repo = self.builders[repository].repo
        for commit in repo.iter_commits("HEAD"):
            if commit.message.strip() == message:
                return commit.hexsha
        raise KeyError(message)


@dataclass
class ReferenceRun:
    out: Path
    state: Path
    summary: object
    rows: list[dict]


@pytest.fixture(scope="session")
def fixture_repos(tmp_path_factory) -> Fixtures:
    root = tmp_path_factory.mktemp("collector-repos")
    builders, expected = build_repositories(root)
    return Fixtures(root, builders, expected)


@pytest.fixture(scope="session")
def reference_run(fixture_repos, tmp_path_factory) -> ReferenceRun:
    """The whole pipeline once, local process pool, no instructions."""
    out = tmp_path_factory.mktemp("collector-out") / "pairs.jsonl"
    summary = run_pipeline(out, repos=fixture_repos.root, workers=2)
    return ReferenceRun(out, Path(str(out) + ".state.sqlite"), summary, read_rows(out))
