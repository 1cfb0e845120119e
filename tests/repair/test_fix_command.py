"""`safecoder fix` on real files: verified diffs, --apply's hash check, rewrites never offered.

The rewrites come from `PreparedRewriteServer` (conftest), a real OpenAI-compatible HTTP
server on loopback that stands in for a model able to write fixes (the small model
rarely does). The command, its HTTP client, its prompt and the verification by
tree-sitter, the analyzer and the compilers are the real ones. The last test runs the
small model itself through the in-process path and asserts only what is guaranteed.
"""

from __future__ import annotations

import re

import pytest

from safecoder.analysis import analyze_snippet
from safecoder.analysis.compilers import available_checkers
from safecoder.cli import main
from safecoder.languages import get
from safecoder.repair.verify import compile_complaint

PY_VULNERABLE = '''import sqlite3


def find_user(connection: sqlite3.Connection, name: str):
    cursor = connection.cursor()
    cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
    return cursor.fetchone()


def count(values):
    return len(values)
'''
PY_FIXED = '''def find_user(connection: sqlite3.Connection, name: str):
    cursor = connection.cursor()
    cursor.execute("SELECT * FROM users WHERE name = ?", (name,))
    return cursor.fetchone()'''
PY_STILL = PY_FIXED.replace('"SELECT * FROM users WHERE name = ?", (name,)', '"SELECT * FROM users WHERE name = %s" % name')
PY_BROKEN = PY_FIXED.replace("(name,))", "(name,)")
PY_INTRODUCES = PY_FIXED.replace("    return cursor.fetchone()",
                                 "    import os\n    os.system('echo ' + name)\n    return cursor.fetchone()")

JS_VULNERABLE = '''const { exec, execFile } = require("child_process");

function listDir(dir, callback) {
  exec("ls -l " + dir, callback);
}

module.exports = { listDir };
'''
JS_FIXED = '''function listDir(dir, callback) {
  execFile("ls", ["-l", dir], callback);
}'''
JS_STILL = '''function listDir(dir, callback) {
  exec(`ls -l ${dir}`, callback);
}'''
JS_BROKEN = '''function listDir(dir, callback) {
  execFile("ls", ["-l", dir], callback;
}'''

GO_VULNERABLE = '''package main

import (
\t"database/sql"
\t"fmt"
)

func findUser(db *sql.DB, name string) (*sql.Rows, error) {
\tquery := fmt.Sprintf("SELECT * FROM users WHERE name = '%s'", name)
\treturn db.Query(query)
}
'''
GO_FIXED = '''func findUser(db *sql.DB, name string) (*sql.Rows, error) {
\tfmt.Println("looking up a user")
\treturn db.Query("SELECT * FROM users WHERE name = ?", name)
}'''
GO_STILL = '''func findUser(db *sql.DB, name string) (*sql.Rows, error) {
\treturn db.Query("SELECT * FROM users WHERE name = '" + name + "'")
}'''
GO_BROKEN = '''func findUser(db *sql.DB, name string) (*sql.Rows, error) {
\treturn db.Query("SELECT * FROM users WHERE name = ?", name
}'''

CASES = {
    "python": ("app.py", PY_VULNERABLE, "CWE-089", [PY_STILL, PY_BROKEN, PY_FIXED]),
    "javascript": ("files.js", JS_VULNERABLE, "CWE-078", [JS_STILL, JS_BROKEN, JS_FIXED]),
    "go": ("users.go", GO_VULNERABLE, "CWE-089", [GO_STILL, GO_BROKEN, GO_FIXED]),
}


def fenced(code: str) -> str:
    """An answer as a model primed with an opening fence writes it: the code, then the closing fence."""
    return code + "\n```\nThis version is safe."


def run_fix(*arguments: str) -> int:
    return main(["fix", *arguments])


@pytest.mark.parametrize("language", sorted(CASES))
def test_a_verified_diff_removes_the_finding_and_keeps_the_file_parsing(language, tmp_path, rewrite_server, capsys):
    name, vulnerable, cwe, answers = CASES[language]
    assert cwe in {f.cwe for f in analyze_snippet(vulnerable, language).findings}, "the file has the weakness"
    path = tmp_path / name
    path.write_text(vulnerable)
    rewrite_server.queues[language] = [fenced(answer) for answer in answers]

    status = run_fix("--server-url", rewrite_server.url, "--candidates", "3", str(path))
    out, err = capsys.readouterr()
    assert status == 0, err
    assert path.read_text() == vulnerable, "without --apply the file is left alone"
    assert out.startswith(f"--- a/{path}\n+++ b/{path}\n")
    fixed = apply_unified_diff(vulnerable, out)
    assert answers[-1] in fixed, "the one candidate that passes is the one offered"
    result = analyze_snippet(fixed, language)
    assert result.status == "ok" and cwe not in {f.cwe for f in result.findings}
    if language in available_checkers("auto") or language == "python":
        assert compile_complaint(fixed, get(language), name, "auto") is None
    assert re.search(rf"{cwe} fixed \(verified; candidate 3 of 3; \d+\.\d s\)", err), err
    request = rewrite_server.requests[-1]
    assert request["n"] == 3 and cwe in request["prompt"] and request["safecoder"]["gate"] == "off"


def test_apply_writes_the_fix_and_the_draws_stop_at_the_first_verified(tmp_path, rewrite_server, capsys):
    path = tmp_path / "app.py"
    path.write_text(PY_VULNERABLE)
    path.chmod(0o640)
    rewrite_server.queues["python"] = [fenced(PY_BROKEN), fenced(PY_FIXED), fenced(PY_STILL)]
    status = run_fix("--server-url", rewrite_server.url, "--candidates", "3", "--per-request", "1", "--seed", "7",
                     "--apply", str(path))
    assert status == 0, capsys.readouterr().err
    assert PY_FIXED in path.read_text() and "def count(values)" in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o640, "the file keeps its mode"
    assert len(rewrite_server.requests) == 2, "the third draw is not asked for"
    assert [(r["n"], r["seed"]) for r in rewrite_server.requests] == [(1, 7), (1, 8)], "each round its own seed"


def test_apply_refuses_a_file_modified_after_analysis(tmp_path, rewrite_server, capsys):
    path = tmp_path / "app.py"
    path.write_text(PY_VULNERABLE)
    edited = PY_VULNERABLE + "\n# edited meanwhile\n"
    rewrite_server.queues["python"] = [fenced(PY_FIXED)]
    rewrite_server.on_request = lambda body: path.write_text(edited)  # the user saves while the model writes
    status = run_fix("--server-url", rewrite_server.url, "--apply", str(path))
    err = capsys.readouterr().err
    assert status == 1
    assert path.read_text() == edited, "nothing was written over the newer file"
    assert "changed after it was analysed; nothing was written" in err


def test_rewrites_that_keep_or_add_a_weakness_or_break_syntax_are_never_offered(tmp_path, rewrite_server, capsys):
    path = tmp_path / "app.py"
    path.write_text(PY_VULNERABLE)
    bad = [PY_STILL, PY_BROKEN, PY_INTRODUCES, PY_VULNERABLE.split("\n\n\n")[1], "no code at all, sorry"]
    rewrite_server.queues["python"] = [fenced(answer) for answer in bad]
    status = run_fix("--server-url", rewrite_server.url, "--candidates", "5", "--apply", str(path))
    out, err = capsys.readouterr()
    assert status == 1 and out == ""
    assert path.read_text() == PY_VULNERABLE
    assert "no verified fix for CWE-089 in `find_user`: of 5 candidates" in err
    # Prose after the primed fence is read as code, and does not parse either.
    for reason in ("still has CWE-089 (1)", "does not parse (2)", "introduces CWE-078 (1)",
                   "leaves the function unchanged (1)"):
        assert reason in err


def test_bad_input_exits_2_naming_the_problem(tmp_path, capsys):
    def error() -> str:  # the message, unwrapped (rich wraps it at the terminal's width)
        return " ".join(capsys.readouterr().err.split())

    assert run_fix(str(tmp_path / "missing.py")) == 2
    assert "missing.py: no such file" in error()
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert run_fix(str(notes)) == 2
    assert "does not know the language of a '.txt' file" in error()
    assert run_fix("--candidates", "0", str(notes)) == 2
    assert "candidates must be at least 1" in error()


@pytest.mark.slow
def test_the_small_model_through_the_real_path_never_offers_an_unverified_rewrite(tmp_path, capsys):
    path = tmp_path / "app.py"
    path.write_text(PY_VULNERABLE)
    status = run_fix("--model", "default", "--engine", "llama", "--candidates", "2", "--max-tokens", "96",
                     "--seed", "3", str(path))
    out, err = capsys.readouterr()
    assert path.read_text() == PY_VULNERABLE
    if status == 0:
        fixed = apply_unified_diff(PY_VULNERABLE, out)
        result = analyze_snippet(fixed, "python")
        assert result.status == "ok" and "CWE-089" not in {f.cwe for f in result.findings}
        assert compile_complaint(fixed, get("python"), "app.py", "auto") is None
    else:
        assert status == 1 and out == ""
        assert re.search(r"CWE-089 not fixed \(\d+\.\d s\): no verified fix for CWE-089 in `find_user`: of 2 candidates", err), err


def apply_unified_diff(original: str, diff: str) -> str:
    """Apply a one-file unified diff (as `safecoder fix` prints it) to `original`."""
    lines = original.splitlines(True)
    body = diff.splitlines(True)[2:]
    result, position, index = [], 0, 0
    while index < len(body):
        header = body[index]
        assert header.startswith("@@"), header
        old_start = int(header.split()[1].split(",")[0][1:])
        result.extend(lines[position:old_start - 1])
        position = old_start - 1
        index += 1
        while index < len(body) and not body[index].startswith("@@"):
            line = body[index]
            if line.startswith(" "):
                result.append(line[1:])
                position += 1
            elif line.startswith("-"):
                position += 1
            elif line.startswith("+"):
                result.append(line[1:])
            index += 1
    result.extend(lines[position:])
    return "".join(result)
