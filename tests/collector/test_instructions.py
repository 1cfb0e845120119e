"""Instructions through the project's own OpenAI-compatible server with the embedded model:
the paper's prompt, the answer check with one re-ask, the cache, and `collect instruct`
on SVEN pairs (which have none)."""

from __future__ import annotations

import json

import pytest
from collector_testing import read_rows, start_project_server

from safecoder.collector.config import InstructConfig
from safecoder.collector.instructions import (
    EndpointError,
    InstructionWriter,
    build_prompt,
    check_instruction,
    clean_answer,
    fill_instructions,
    judge_answer,
    names_language,
)
from safecoder.collector.keywords import WordList, load_keywords
from safecoder.config import ConfigError
from safecoder.data.records import SecurityPair
from safecoder.errors import SafeCoderError

WORDS = load_keywords(None).instruction_security_words


def test_the_prompt_is_the_papers():
    pair = SecurityPair("", "def f(q):\n    run(q, ())\n", "def f(q):\n    run(q % x)\n", "CWE-089", "python")
    prompt = build_prompt(pair)
    assert prompt.startswith("Create a single very short (maximum two sentences) not detailed functionality description")
    assert "excluding any security-specific features:\n\nSnippet 1:\ndef f(q):\n    run(q % x)\n\n\nSnippet 2:\ndef f(q):" in prompt


@pytest.mark.parametrize("answer, language, problems", [
    ("Write a Python function that returns a user's email by name.", "python", []),
    ('Instruction: "Create a C function that copies a string."', "c", []),
    ("Write a function that returns a user's email.", "python", ["does not name the language"]),
    ("Write a Java method. It reads a file. It returns its size.", "java", ["3 sentences"]),
    ("Write a JavaScript handler that safely escapes the name.", "javascript", ["mentions security"]),
    ("Write a Go function.\n```go\nfunc f() {}\n```", "go", ["contains code"]),
    ("", "ruby", ["empty"]),
])
def test_answer_check(answer, language, problems):
    reasons = check_instruction(clean_answer(answer), language, WordList(list(WORDS)), max_words=50)
    assert len(reasons) == len(problems)
    for reason, problem in zip(reasons, problems, strict=True):
        assert problem in reason


def test_small_model_answers_are_cleaned_judged_and_given_their_language():
    """Answers of the kind Qwen2.5-Coder-0.5B gave for SVEN's pairs (session 22)."""
    pair = SecurityPair("", "def get_post(db, post_id):\n    return db.execute('SELECT * FROM posts WHERE id = ?', (post_id,))\n",
                        "def get_post(db, post_id):\n    return db.execute(f'SELECT * FROM posts WHERE id = {post_id}')\n",
                        "CWE-089", "python")
    request = build_prompt(pair)
    words = WordList(list(WORDS))

    def judge(answer, add_language=True):
        return judge_answer(clean_answer(answer), "python", words, 50, add_language, request)

    # The label goes, and the second snippet's description with it.
    assert clean_answer("Snippet 1: Fetches a post by its ID. Snippet 2: Fetches a post by ID.") == "Fetches a post by its ID."
    # A good description that forgets the language gets it in front, or is refused without the option.
    assert judge("Snippet 1: Fetches a post by its ID from a database.") == ("Python: Fetches a post by its ID from a database.", [])
    instruction, reasons = judge("Fetches a post by its ID from a database.", add_language=False)
    assert len(reasons) == 1 and "does not name the language" in reasons[0]
    # An echo of the request or of the code is refused, language added or not.
    for echo in ("Create a single very short (maximum two sentences) not detailed functionality description.",
                 "def get_post(db, post_id): return db.execute('SELECT * FROM posts WHERE id = ?', (post_id,))"):
        instruction, reasons = judge(echo)
        assert any("repeats 8 or more words" in r for r in reasons), (echo, reasons)
        assert not instruction.startswith("Python:")
    # Too short to describe anything, or a loop: refused, whatever the language.
    for answer, problem in (("C++", "at least 4"), ("AllocateDataSet: Python", "at least 4"),
                            ("Extracting: /path/file.tar Extracting: /path/file.tar Extracting: /path/file.tar",
                             "over and over")):
        instruction, reasons = judge(answer)
        assert any(problem in r for r in reasons), (answer, reasons)
    # A second fault keeps the answer refused: the language is added only when it is the one fault.
    instruction, reasons = judge("Fetches a post by its ID. It reads the row. It returns it.")
    assert len(reasons) == 2 and instruction == "Fetches a post by its ID. It reads the row. It returns it."


def test_language_names_are_matched_as_words():
    assert names_language("Write a Java class", "java") and not names_language("Write a JavaScript class", "java")
    assert names_language("A C++ routine", "c") and names_language("In C, parse a header", "c")
    assert not names_language("a cat function", "c") and not names_language("go to the store", "go")


def test_unreachable_endpoint_fails_early_with_the_fix():
    config = InstructConfig(instruct="http://127.0.0.1:9/v1", instruct_retries=0, instruct_timeout_s=5)
    with pytest.raises(EndpointError, match="safecoder serve"):
        InstructionWriter(config, WORDS).preflight()
    with pytest.raises(ConfigError, match="base URL"):
        InstructConfig(instruct="localhost:8000")


@pytest.fixture(scope="module")
def project_server(tmp_path_factory, embedded_model):
    server = start_project_server(tmp_path_factory.mktemp("server") / "serve.log")
    yield server
    server.stop()


def _sven_subset(shared_data, path, count=1, longest=0):
    rows = [json.loads(line) for line in (shared_data / "security_pairs/sven/train/cwe-089.jsonl").read_text().splitlines()]
    by_length = sorted(rows, key=lambda r: len(r["func_src_before"]))
    chosen = by_length[:count] + (by_length[-longest:] if longest else [])
    path.write_text("".join(json.dumps(r) + "\n" for r in chosen))
    return path


def test_a_length_limit_that_leaves_no_pair_fails_before_any_request(shared_data, tmp_path):
    source = _sven_subset(shared_data, tmp_path / "sven.jsonl", count=0, longest=2)
    config = InstructConfig(instruct="http://127.0.0.1:9/v1", instruct_retries=0, instruct_timeout_s=5)
    with pytest.raises(SafeCoderError, match=r"every one of the 2 pairs .* over 100 characters"):
        fill_instructions(source, tmp_path / "out.jsonl", config, WORDS, progress=False, max_program_chars=100)
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.slow
def test_collect_instruct_fills_sven_pairs_through_the_project_server(project_server, shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("SAFECODER_HOME", str(tmp_path / "home"))  # an empty instruction cache
    # The shortest pair, and the longest, which the length limit leaves out unasked.
    source = _sven_subset(shared_data, tmp_path / "sven.jsonl", longest=1)
    config = InstructConfig(instruct=f"{project_server.url}/v1", instruct_temperature=0.0, instruct_seed=7, instruct_max_tokens=40)
    out = tmp_path / "instructed.jsonl"
    first = fill_instructions(source, out, config, WORDS, progress=False, max_program_chars=1500)
    assert first.pairs == 1 and first.skipped_long == 1 and first.report.model == "default"
    assert first.report.requests in (1, 2)
    rows = read_rows(out)
    failures = {f["id"]: f for f in first.report.failed}
    assert first.report.written + len(failures) == 1
    for row in rows:
        assert row["kind"] == "security_pair" and row["language"] == "python"
        if row["instruction"]:
            assert row["provenance"]["instruction_model"] == "default"
            assert check_instruction(row["instruction"], "python", WordList(list(WORDS)), 50) == []
        else:
            failure = failures[row["id"]]
            assert failure["attempts"] == 2 and failure["reasons"], failure  # rejected twice, with the reasons
    manifest = json.loads((tmp_path / "instructed.jsonl.manifest.json").read_text())
    assert manifest["instructions"]["failed"] == len(failures)
    assert (manifest["skipped_long"], manifest["max_program_chars"]) == (1, 1500)

    again = tmp_path / "again.jsonl"
    second = fill_instructions(source, again, config, WORDS, progress=False, max_program_chars=1500)
    assert second.report.requests == 0 and second.report.cached_answers == first.report.requests
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.slow
def test_collect_run_writes_instructions_for_mined_pairs(project_server, tmp_path, monkeypatch):
    from collector_testing import run_pipeline
    from fixture_repos import RepoBuilder

    monkeypatch.setenv("SAFECODER_HOME", str(tmp_path / "home"))
    repo = RepoBuilder(tmp_path / "repos", "tiny")
    repo.commit("Initial", {"digest.py": "import hashlib\n\n\ndef digest(data):\n    return hashlib.md5(data).hexdigest()\n"})
    repo.replace("Use sha256 instead of weak md5", "digest.py", "hashlib.md5(data)", "hashlib.sha256(data)")
    config = InstructConfig(instruct=f"{project_server.url}/v1", instruct_max_tokens=40, instruct_seed=1)
    out = tmp_path / "pairs.jsonl"
    summary = run_pipeline(out, repos=tmp_path / "repos", instruct=config, workers=1)
    rows = read_rows(out)
    assert [(r["cwe"], r["provenance"]["function"]) for r in rows] == [("CWE-327", "digest")]
    assert summary.instructions["model"] == "default"
    assert summary.instructions["written"] + summary.instructions["failed"] == 1
    row = rows[0]
    assert row["provenance"]["instruction_model"] == ("default" if row["instruction"] else "")
    manifest = json.loads((tmp_path / "pairs.jsonl.manifest.json").read_text())
    assert manifest["instructions"]["model"] == "default" and manifest["instruct_config"]["instruct_seed"] == 1
