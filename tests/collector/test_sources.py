"""Reading the three sources: local history, commit lists cloned on demand, metadata streams."""

from __future__ import annotations

import json

import git
import pytest

from safecoder.collector import git_repos, sources
from safecoder.collector.commits import CommitInfo


def test_history_lists_commits_with_line_counts(fixture_repos):
    builder = fixture_repos.builders["pyshop"]
    repo = git_repos.open_repository(builder.path)
    history = {c.message: c for c in git_repos.iter_history(repo, "pyshop")}
    fix = history["Fix SQL injection in get_user"]
    assert fix.files and [(f.path, f.additions, f.deletions) for f in fix.files] == [("shop/app.py", 1, 1)]
    assert fix.parents == (builder.repo.commit(fix.sha).parents[0].hexsha,)
    assert len(history["Merge branch 'feature': sql injection notes"].parents) == 2
    assert history["Initial import"].parents == ()
    assert len(history) == len(list(builder.repo.iter_commits("HEAD")))


def test_file_versions_and_trees_without_checkout(fixture_repos, tmp_path):
    builder = fixture_repos.builders["pyshop"]
    repo = git_repos.open_repository(builder.path)
    fix = fixture_repos.sha_of("pyshop", "Fix SQL injection in get_user")
    parent = builder.repo.commit(fix).parents[0].hexsha
    assert b"% name" in git_repos.read_blob(repo, parent, "shop/app.py")
    assert b"% name" not in git_repos.read_blob(repo, fix, "shop/app.py")
    assert git_repos.read_blob(repo, fix, "no/such/file.py") is None
    tree = git_repos.export_tree(repo, parent, tmp_path / "tree")
    assert (tree / "shop" / "app.py").read_bytes() == git_repos.read_blob(repo, parent, "shop/app.py")


def test_cached_clone_fetches_only_missing_commits(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFECODER_HOME", str(tmp_path / "home"))
    origin = git.Repo.init(tmp_path / "origin", initial_branch="main")
    (tmp_path / "origin" / "a.py").write_text("x = 1\n")
    origin.index.add(["a.py"])
    first = origin.index.commit("one").hexsha
    url = f"file://{tmp_path / 'origin'}"
    clone = git_repos.cached_clone(url, [first])
    assert git_repos.has_commit(git.Repo(clone), first)
    (tmp_path / "origin" / "a.py").write_text("x = 2\n")
    origin.index.add(["a.py"])
    second = origin.index.commit("two").hexsha
    assert not git_repos.has_commit(git.Repo(clone), second)
    assert git_repos.cached_clone(url, [second]) == clone
    assert git_repos.has_commit(git.Repo(clone), second)
    with pytest.raises(git_repos.RepositoryError, match="cannot clone"):
        git_repos.cached_clone(f"file://{tmp_path / 'nowhere'}")


def test_commit_lists_accept_advisory_shapes_and_name_bad_lines(tmp_path):
    listing = tmp_path / "list.jsonl"
    listing.write_text("\n".join([
        json.dumps({"repository": "https://example.org/o/r", "commit": "abc123", "cwe": "CWE-79"}),
        json.dumps({"commit_link": "github.com/o/r/commit/def456", "cwes": ["89", "cwe-22"]}),
    ]) + "\n")
    refs = sources.read_commit_list(listing)
    assert refs[0] == sources.CommitRef("https://example.org/o/r", "abc123", ("CWE-079",))
    assert refs[1] == sources.CommitRef("https://github.com/o/r", "def456", ("CWE-089", "CWE-022"))
    listing.write_text(json.dumps({"repository": "x"}) + "\n")
    with pytest.raises(sources.SourceError, match=r"list.jsonl:1: no repository and commit"):
        sources.read_commit_list(listing)


def test_stream_rows_push_events_and_malformed_lines(tmp_path):
    stream = tmp_path / "s.jsonl"
    stream.write_text("\n".join([
        json.dumps({"repo": "o/r", "sha": "a1", "parents": [{"sha": "p1"}], "message": "m",
                    "files": [{"filename": "x.py", "additions": 1, "deletions": 2}]}),
        json.dumps({"type": "PushEvent", "repo": {"name": "o/q"},
                    "payload": {"commits": [{"sha": "b1", "message": "one"}, {"sha": "b2", "message": "two"}]}}),
        "[1, 2]",
        json.dumps({"repo": "o/r"}),
    ]) + "\n")
    items = list(sources.read_stream(stream))
    commits = [c for _, c in items if isinstance(c, CommitInfo)]
    assert [(c.repository, c.sha, c.parents) for c in commits] == [("o/r", "a1", ("p1",)), ("o/q", "b1", None), ("o/q", "b2", None)]
    assert commits[0].files[0].changed_lines == 3
    malformed = [(line, c.reason) for line, c in items if isinstance(c, sources.MalformedRow)]
    assert [line for line, _ in malformed] == [3, 4]
    assert next(iter(sources.read_stream(stream, skip_lines=2)))[0] == 3
    assert sources.clone_url_for("o/r") == "https://github.com/o/r.git"
    assert sources.clone_url_for("file:///x/y") == "file:///x/y"
