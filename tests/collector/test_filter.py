"""The keyword lists and the heuristic filter, on commit metadata alone."""

from __future__ import annotations

import pytest

from safecoder.collector.commits import ChangedFile, CommitInfo
from safecoder.collector.config import CollectConfig
from safecoder.collector.filter import CommitFilter
from safecoder.collector.keywords import KeywordFileError, KeywordMatcher, WordList, load_keywords
from safecoder.config import ConfigError


@pytest.fixture(scope="module")
def matcher() -> KeywordMatcher:
    return KeywordMatcher(load_keywords(None))


@pytest.mark.parametrize("message, cwes", [
    ("Fix SQL-injection in login form", {"CWE-089"}),
    ("sqlinjection fix", {"CWE-089"}),
    ("Prevent XSS in comments", {"CWE-079"}),
    ("RCE fix", {"CWE-078", "CWE-094"}),
    ("reject ../ in upload names", {"CWE-022"}),
    ("Fix heap use-after-free in parser", {"CWE-416"}),
    ("Fix vulnerability reported by a user", {"*"}),  # generic only: any CWE
    ("Fix XSS vulnerability", {"CWE-079"}),  # specific keywords win over generic ones
    ("update rcedit and md5sum", set()),  # whole-word keywords do not match inside words
    ("Refactor the parser", set()),
])
def test_keywords_name_cwes(matcher, message, cwes):
    assert set(matcher.match(message)) == cwes


def test_keyword_files_are_validated(tmp_path):
    bad = tmp_path / "kw.yaml"
    bad.write_text("cwes:\n  not-a-cwe: [x]\n")
    with pytest.raises(KeywordFileError, match="malformed CWE id"):
        load_keywords(bad)
    bad.write_text("cwes:\n  CWE-89: sql injection\n")
    with pytest.raises(KeywordFileError, match="list of non-empty strings"):
        load_keywords(bad)
    with pytest.raises(KeywordFileError, match="does not exist"):
        load_keywords(tmp_path / "missing.yaml")
    custom = tmp_path / "custom.yaml"
    custom.write_text("version: 7\ngeneric: [oops]\ncwes:\n  CWE-918: [fetch any url]\n")
    keywords = load_keywords(custom)
    assert keywords.version == "7" and keywords.fingerprint != load_keywords(None).fingerprint
    assert set(KeywordMatcher(keywords).match("stop Fetch-any URL")) == {"CWE-918"}


def test_security_words_in_instructions():
    words = WordList(load_keywords(None).instruction_security_words)
    assert words.find("Write a Python function that safely escapes HTML") == ["safely", "escap"]
    assert words.find("Write a Python function that reads a user's profile from a database.") == []


def _commit(message="fix sql injection", files=(("app.py", 3, 1),), parents=("p",)):
    return CommitInfo("r", "s", message, parents, tuple(ChangedFile(p, a, d) for p, a, d in files))


@pytest.mark.parametrize("commit, kept, reason", [
    (_commit(), True, ""),
    (_commit(parents=("a", "b")), False, "merge commit"),
    (_commit(parents=()), False, "root commit"),
    (_commit(message="refactor"), False, "no security keyword"),
    (_commit(files=(("README.md", 3, 1), ("tests/test_app.py", 2, 2))), False, "no source file"),
    (_commit(files=(("vendor/lib.js", 1, 1), ("web/app.min.js", 1, 1), ("api_pb2.py", 1, 1))), False, "no source file"),
    (_commit(files=(("a.py", 1, 1), ("b.py", 1, 1), ("c.go", 1, 1))), False, "too many files"),
    (_commit(files=(("a.py", 30, 11),)), False, "too many changed lines"),
    (_commit(files=(("a.py", 30, 10), ("docs/x.md", 500, 0), ("spec/x_spec.rb", 99, 0))), True, ""),
    (_commit(files=(("a.c", None, None),)), False, "binary source file"),
])
def test_filter_decisions(matcher, commit, kept, reason):
    decision = CommitFilter(CollectConfig(), matcher).decide(commit)
    assert (decision.kept, decision.reason) == (kept, reason)


def test_filter_limits_and_advisory_cwes(matcher):
    strict = CommitFilter(CollectConfig(max_changed_lines=3, max_files=1), matcher)
    assert strict.decide(_commit(files=(("a.py", 2, 2),))).reason == "too many changed lines"
    advised = CommitInfo("r", "s", "bump version", ("p",), (ChangedFile("a.rb", 1, 1),), advisory_cwes=("79",))
    decision = strict.decide(advised)
    assert decision.kept and decision.cwes == ("CWE-079",) and decision.source_files == ("a.rb",)
    unknown_files = CommitInfo("r", "s", "fix xss", None, None)
    assert strict.decide(unknown_files).kept  # files are checked once the repository is read


def test_invalid_settings_name_the_field():
    with pytest.raises(ConfigError, match="max_files"):
        CollectConfig(max_files=0)
    with pytest.raises(ConfigError, match="near_duplicate_threshold"):
        CollectConfig(near_duplicate_threshold=1.5)
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        CommitFilter(CollectConfig(test_paths=("([",)), KeywordMatcher(load_keywords(None)))
