"""The whole collector on real repositories: exactly the true fixes, the right functions,
CWEs and languages; idempotent reruns; Ray gives the same output; commit lists and streams."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from collector_testing import read_rows, run_pipeline

from safecoder.data.loaders import load_security_pairs


def _found(rows: list[dict]) -> set[tuple]:
    return {
        (Path(r["provenance"]["repository"]).name, r["provenance"]["commit_message"], r["cwe"], r["language"],
         r["provenance"]["file"], r["provenance"]["function"])
        for r in rows
    }


def _expected(fixture_repos) -> set[tuple]:
    return {(e.repository, e.message, e.cwe, e.language, e.file, e.function) for e in fixture_repos.expected}


def test_exactly_the_true_fixes_come_out(fixture_repos, reference_run):
    assert _found(reference_run.rows) == _expected(fixture_repos)
    assert len(reference_run.rows) == len(fixture_repos.expected)
    languages = {e.language for e in fixture_repos.expected}
    cwes = {e.cwe for e in fixture_repos.expected}
    assert len(languages) >= 4 and len(cwes) >= 6


def test_pairs_hold_the_changed_function_before_and_after(reference_run):
    by_function = {r["provenance"]["function"]: r for r in reference_run.rows}
    sql = by_function["get_user"]
    assert sql["vulnerable_code"].startswith("def get_user(db, name):")
    assert "% name" in sql["vulnerable_code"] and "% name" not in sql["secure_code"]
    assert "(name,)" in sql["secure_code"]
    assert "run_backup" not in sql["vulnerable_code"]  # only the function, not the file
    shell = by_function["run_backup"]
    assert "shell=True" in shell["vulnerable_code"] and "shell=True" not in shell["secure_code"]


def test_provenance_records_commit_findings_and_analyzers(fixture_repos, reference_run):
    pairs = load_security_pairs(reference_run.out, strict=True).records
    assert len(pairs) == len(reference_run.rows)
    for pair in pairs:
        p = pair.provenance
        repository = Path(p.repository).name
        assert p.commit == fixture_repos.sha_of(repository, p.commit_message)
        assert p.parent_commit == fixture_repos.builders[repository].repo.commit(p.commit).parents[0].hexsha
        assert any(f["cwe"] == pair.cwe for f in p.findings_before)
        assert not any(f["cwe"] == pair.cwe for f in p.findings_after)
        assert p.analyzers and all(p.analyzers.values())
        assert pair.instruction == "" and p.instruction_model == ""
        start, end = p.extra["lines_before"]
        assert any(start <= f["start_line"] <= end for f in p.findings_before if f["cwe"] == pair.cwe)
    manifest = json.loads(Path(str(reference_run.out) + ".manifest.json").read_text())
    assert manifest["pairs"] == len(pairs)
    assert manifest["config"]["max_changed_lines"] == 40
    assert manifest["keywords"]["version"]


def test_every_decoy_is_dropped_for_its_reason(fixture_repos, reference_run):
    db = sqlite3.connect(reference_run.state)
    reasons = {}
    for repository, sha, stage, status, reason in db.execute("SELECT repository, sha, stage, status, reason FROM commits"):
        reasons[(Path(repository).name, sha)] = (stage, status, reason)
    db.close()

    def verdict(repository, message):
        return reasons[(repository, fixture_repos.sha_of(repository, message))]

    assert verdict("pyshop", "Refactor greet") == ("filter", "dropped", "no security keyword")
    assert verdict("pyshop", "Security review: tidy greet") == ("verify", "dropped", "finding remains after the fix")
    assert verdict("pyshop", "Fix XSS test for greet") == ("filter", "dropped", "no source file")
    assert verdict("pyshop", "Fix weak hash in checksum and add helpers") == ("filter", "dropped", "too many changed lines")
    assert verdict("pyshop", "Merge branch 'feature': sql injection notes") == ("filter", "dropped", "merge commit")
    assert verdict("pyshop", "Initial import") == ("filter", "dropped", "root commit")
    assert verdict("jsapp", "Fix XSS in formatName")[1] == "dropped"  # whitespace only: nothing to verify
    assert verdict("gostore", "Harden Count") == ("verify", "dropped", "no finding before the fix")
    stages = {s.stage: s for s in reference_run.summary.stages}
    assert stages["extract"].kept == len({(e.repository, e.message) for e in fixture_repos.expected})
    assert stages["filter"].reasons["merge commit"] == 1


def test_a_second_run_changes_nothing(fixture_repos, reference_run, tmp_path):
    before = reference_run.out.read_bytes()
    copy = tmp_path / "pairs.jsonl"
    state = tmp_path / "state.sqlite"
    state.write_bytes(reference_run.state.read_bytes())
    summary = run_pipeline(copy, repos=fixture_repos.root, state=state, workers=2)
    assert summary.resumed
    assert copy.read_bytes() == before


def test_a_state_from_other_settings_is_refused(fixture_repos, reference_run, tmp_path):
    from safecoder.collector.state import StateError

    state = tmp_path / "state.sqlite"
    state.write_bytes(reference_run.state.read_bytes())
    with pytest.raises(StateError, match="other filter"):
        run_pipeline(tmp_path / "x.jsonl", repos=fixture_repos.root, state=state, max_changed_lines=10)


@pytest.mark.slow
def test_ray_executor_gives_the_same_output(fixture_repos, reference_run, tmp_path):
    out = tmp_path / "ray.jsonl"
    run_pipeline(out, repos=fixture_repos.root, executor="ray", workers=2)
    assert out.read_bytes() == reference_run.out.read_bytes()


def test_commit_list_clones_on_demand_and_trusts_the_advisory_cwe(fixture_repos, tmp_path, monkeypatch):
    monkeypatch.setenv("SAFECODER_HOME", str(tmp_path / "home"))
    pyshop = fixture_repos.builders["pyshop"].path
    listing = tmp_path / "advisories.jsonl"
    sql_fix = fixture_repos.sha_of("pyshop", "Fix SQL injection in get_user")
    refactor = fixture_repos.sha_of("pyshop", "Refactor greet")
    rows = [
        {"repository": f"file://{pyshop}", "commit": sql_fix[:10], "cwe": "CWE-89"},
        {"repository": f"file://{pyshop}", "commit": refactor, "cwe": "CWE-89"},
        {"commit_link": f"file://{pyshop}/commit/{'0' * 40}"},
        {"repository": f"file://{tmp_path}/missing-repo", "commit": sql_fix},
    ]
    listing.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "advisory-pairs.jsonl"
    summary = run_pipeline(out, commits=listing, workers=1)
    found = read_rows(out)
    assert [(r["cwe"], r["provenance"]["function"], r["provenance"]["commit"]) for r in found] == [
        ("CWE-089", "get_user", sql_fix)]  # the abbreviated id is resolved
    assert found[0]["provenance"]["repository"] == f"file://{pyshop}"
    clones = list((tmp_path / "home" / "cache" / "repos").glob("*.git"))
    assert len(clones) == 1
    stages = {s.stage: s for s in summary.stages}
    assert stages["fetch"].reasons == {"commit not found": 1, "repository unavailable": 1}
    assert stages["verify"].reasons == {"no finding before the fix": 1}  # the refactor, although advised


def test_stream_filters_at_scale_then_verifies_candidates(fixture_repos, tmp_path, monkeypatch):
    monkeypatch.setenv("SAFECODER_HOME", str(tmp_path / "home"))
    pyshop = fixture_repos.builders["pyshop"]
    fix = fixture_repos.sha_of("pyshop", "Avoid shell injection in run_backup")
    parent = pyshop.repo.commit(fix).parents[0].hexsha
    stream = tmp_path / "stream.jsonl"
    rows = [
        {"repo": str(pyshop.path), "sha": fix, "parents": [parent], "message": "Avoid shell injection in run_backup",
         "files": [{"path": "shop/app.py", "additions": 1, "deletions": 1}]},
        {"repo": "someone/else", "sha": "a" * 40, "parents": ["b" * 40], "message": "bump version",
         "files": [{"path": "setup.py", "additions": 1, "deletions": 1}]},
        {"repo": "someone/else", "sha": "c" * 40, "parents": ["b" * 40], "message": "fix xss",
         "files": [{"filename": "docs/index.md", "additions": 1, "deletions": 1}]},
        {"type": "PushEvent", "repo": {"name": str(pyshop.path)},
         "payload": {"commits": [{"sha": fixture_repos.sha_of("pyshop", "Fix SQL injection in get_user"),
                                  "message": "Fix SQL injection in get_user"}]}},
    ]
    stream.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n")
    candidates = tmp_path / "candidates.jsonl"
    summary = run_pipeline(candidates, stream=stream, stop_after="filter")
    listed = read_rows(candidates)
    assert sorted(r["commit"] for r in listed) == sorted([fix, fixture_repos.sha_of("pyshop", "Fix SQL injection in get_user")])
    stages = {s.stage: s for s in summary.stages}
    assert stages["filter"].reasons == {"no security keyword": 1, "no source file": 1}
    assert stages["fetch"].reasons == {"malformed row": 1}
    out = tmp_path / "pairs.jsonl"
    run_pipeline(out, stream=stream, workers=1)
    assert sorted((r["cwe"], r["provenance"]["function"]) for r in read_rows(out)) == [
        ("CWE-078", "run_backup"), ("CWE-089", "get_user")]
