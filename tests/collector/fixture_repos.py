"""Real git repositories with vulnerability fixes written for the collector's tests.

`build_repositories(root)` creates, with gitpython, one repository per language. Each
starts with vulnerable code, then gets commits of four kinds:
- true fixes (`Expected` lists them: commit message, CWE, language, file, function);
- refactors (no keyword; or a security word in the message but no finding fixed);
- a keyword in the message without any fix (a comment-only or an unrelated change);
- a fix too large (over 40 changed lines), a test-file-only change, a merge commit.

The code is ours, small and self-contained, and each vulnerability sits in its own
function so the expected function is unambiguous.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import git


@dataclass(frozen=True)
class Expected:
    repository: str  # folder name
    message: str
    cwe: str
    language: str
    file: str
    function: str


ACTOR = git.Actor("Fixture Author", "fixtures@example.org")


class RepoBuilder:
    def __init__(self, root: Path, name: str):
        self.name = name
        self.path = root / name
        self.repo = git.Repo.init(self.path, initial_branch="main")
        self.counter = 0

    def commit(self, message: str, files: dict[str, str]) -> str:
        for rel, text in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        self.repo.index.add(list(files))
        self.counter += 1
        # Fixed dates keep commit ids equal across runs of the fixture.
        date = f"2024-01-01T00:{self.counter // 60:02d}:{self.counter % 60:02d}"
        return self.repo.index.commit(message, author=ACTOR, committer=ACTOR, author_date=date, commit_date=date).hexsha

    def replace(self, message: str, rel: str, old: str, new: str) -> str:
        text = (self.path / rel).read_text(encoding="utf-8")
        old, new = old.strip("\n"), new.strip("\n")
        if old not in text:
            raise ValueError(f"{rel}: fragment not found: {old!r}")
        (self.path / rel).write_text(text.replace(old, new, 1), encoding="utf-8")
        self.repo.index.add([rel])
        self.counter += 1
        date = f"2024-01-01T00:{self.counter // 60:02d}:{self.counter % 60:02d}"
        return self.repo.index.commit(message, author=ACTOR, committer=ACTOR, author_date=date, commit_date=date).hexsha


PY_APP = '''
import hashlib
import pickle
import sqlite3
import subprocess
import tempfile

import requests


def get_user(db, name):
    cursor = db.cursor()
    cursor.execute("SELECT id, email FROM users WHERE name = '%s'" % name)
    return cursor.fetchone()


def run_backup(folder):
    return subprocess.call("tar czf backup.tgz " + folder, shell=True)


def load_session(blob):
    return pickle.loads(blob)


def checksum(data):
    return hashlib.md5(data).hexdigest()


def fetch_feed(url):
    return requests.get(url, verify=False, timeout=10).text


def scratch_file():
    path = tempfile.mktemp()
    return open(path, "w")


def greet(user):
    # Say hello.
    return "Hello, " + user
'''

PY_TEST = '''
def test_greet():
    assert True
'''


def build_python(root: Path, expected: list[Expected]) -> RepoBuilder:
    b = RepoBuilder(root, "pyshop")
    b.commit("Initial import", {"shop/app.py": PY_APP, "tests/test_app.py": PY_TEST, "README.md": "# shop\n"})
    b.replace("Fix SQL injection in get_user", "shop/app.py",
              '''cursor.execute("SELECT id, email FROM users WHERE name = '%s'" % name)''',
              '''cursor.execute("SELECT id, email FROM users WHERE name = ?", (name,))''')
    expected.append(Expected("pyshop", "Fix SQL injection in get_user", "CWE-089", "python", "shop/app.py", "get_user"))
    # Refactor without a keyword.
    b.replace("Refactor greet", "shop/app.py", '''return "Hello, " + user''', '''return f"Hello, {user}"''')
    # A security word, but the change fixes nothing (findings of other CWEs remain).
    b.replace("Security review: tidy greet", "shop/app.py", "    # Say hello.", "    # Greet the user by name.")
    b.replace("Avoid shell injection in run_backup", "shop/app.py",
              '''return subprocess.call("tar czf backup.tgz " + folder, shell=True)''',
              '''return subprocess.call(["tar", "czf", "backup.tgz", folder])''')
    expected.append(Expected("pyshop", "Avoid shell injection in run_backup", "CWE-078", "python", "shop/app.py", "run_backup"))
    # Keyword, test file only.
    b.replace("Fix XSS test for greet", "tests/test_app.py", "assert True", "assert 1 == 1")
    b.replace("Fix unsafe deserialization in load_session", "shop/app.py",
              "return pickle.loads(blob)", "return json.loads(blob)")
    expected.append(Expected("pyshop", "Fix unsafe deserialization in load_session", "CWE-502", "python", "shop/app.py", "load_session"))
    # A fix too large: the md5 fix buried in 45 new lines.
    extra = "\n".join(f"def helper_{i}(x):\n    return x + {i}\n" for i in range(16))
    text = (b.path / "shop/app.py").read_text()
    b.commit("Fix weak hash in checksum and add helpers", {
        "shop/app.py": text.replace("hashlib.md5(data)", "hashlib.sha256(data)") + "\n\n" + extra,
    })
    b.replace("Revert helpers", "shop/app.py", "hashlib.sha256(data)", "hashlib.md5(data)")
    b.replace("Use sha256 instead of weak md5 in checksum", "shop/app.py", "hashlib.md5(data)", "hashlib.sha256(data)")
    expected.append(Expected("pyshop", "Use sha256 instead of weak md5 in checksum", "CWE-327", "python", "shop/app.py", "checksum"))
    b.replace("Enable TLS certificate verification in fetch_feed", "shop/app.py",
              "requests.get(url, verify=False, timeout=10)", "requests.get(url, verify=True, timeout=10)")
    expected.append(Expected("pyshop", "Enable TLS certificate verification in fetch_feed", "CWE-295", "python", "shop/app.py", "fetch_feed"))
    b.replace("Fix insecure temp file in scratch_file", "shop/app.py",
              '    path = tempfile.mktemp()\n    return open(path, "w")',
              '    handle, path = tempfile.mkstemp()\n    return open(handle, "w")')
    expected.append(Expected("pyshop", "Fix insecure temp file in scratch_file", "CWE-377", "python", "shop/app.py", "scratch_file"))
    # A merge commit whose message names a vulnerability.
    main = b.repo.head.commit
    branch = b.repo.create_head("feature", main.parents[0])
    b.repo.head.reference = branch
    b.repo.head.reset(index=True, working_tree=True)
    side = b.commit("Add notes", {"NOTES.md": "notes\n"})
    b.repo.head.reference = b.repo.heads.main
    b.repo.head.reset(index=True, working_tree=True)
    b.repo.index.merge_tree(side, base=b.repo.merge_base(main, side)[0])
    b.repo.index.commit("Merge branch 'feature': sql injection notes", parent_commits=(main, b.repo.commit(side)),
                        author=ACTOR, committer=ACTOR, author_date="2024-01-02T00:00:00", commit_date="2024-01-02T00:00:00")
    b.repo.head.reset(index=True, working_tree=True)
    return b


JS_SERVER = '''
const express = require("express");
const db = require("./db");
const app = express();

app.get("/user", (req, res) => {
  db.query("SELECT * FROM users WHERE id = " + req.query.id, (err, rows) => {
    res.json(rows);
  });
});

app.get("/hello", (req, res) => {
  res.send("<h1>Hello " + req.query.name + "</h1>");
});

function formatName(first, last) {
  return first + " " + last;
}

module.exports = { app, formatName };
'''


def build_javascript(root: Path, expected: list[Expected]) -> RepoBuilder:
    b = RepoBuilder(root, "jsapp")
    b.commit("Initial server", {"server.js": JS_SERVER, "package.json": '{"name": "jsapp"}\n'})
    b.replace("Fix SQL injection in /user", "server.js",
              '''db.query("SELECT * FROM users WHERE id = " + req.query.id, (err, rows) => {''',
              '''db.query("SELECT * FROM users WHERE id = ?", [req.query.id], (err, rows) => {''')
    expected.append(Expected("jsapp", "Fix SQL injection in /user", "CWE-089", "javascript", "server.js", 'app.get("/user")'))
    # Keyword, whitespace-only change.
    b.replace("Fix XSS in formatName", "server.js", '''return first + " " + last;''', '''return first  +  " "  +  last;''')
    return b


GO_STORE = '''
package store

import "database/sql"

func FindUser(db *sql.DB, name string) (*sql.Rows, error) {
	return db.Query("SELECT id FROM users WHERE name = '" + name + "'")
}

func Count(db *sql.DB) int {
	return 0
}
'''


def build_go(root: Path, expected: list[Expected]) -> RepoBuilder:
    b = RepoBuilder(root, "gostore")
    b.commit("Initial store", {"store/store.go": GO_STORE, "go.mod": "module example.org/store\n"})
    b.replace("Use query parameters to fix sql injection in FindUser", "store/store.go",
              '''return db.Query("SELECT id FROM users WHERE name = '" + name + "'")''',
              '''return db.Query("SELECT id FROM users WHERE name = ?", name)''')
    expected.append(Expected("gostore", "Use query parameters to fix sql injection in FindUser", "CWE-089", "go", "store/store.go", "FindUser"))
    # Refactor with a security word in the message, no fix.
    b.replace("Harden Count", "store/store.go", "return 0", "return -1 + 1")
    return b


RB_APP = '''
class UsersController
  def search(params)
    User.where("name = '#{params[:name]}'")
  end

  def archive(params)
    system("tar czf archive.tgz #{params[:dir]}")
  end

  def title
    "Users"
  end
end
'''


def build_ruby(root: Path, expected: list[Expected]) -> RepoBuilder:
    b = RepoBuilder(root, "rbapp")
    b.commit("Initial controller", {"app/users_controller.rb": RB_APP})
    b.replace("Fix SQL injection in search", "app/users_controller.rb",
              '''User.where("name = '#{params[:name]}'")''', '''User.where(name: params[:name])''')
    expected.append(Expected("rbapp", "Fix SQL injection in search", "CWE-089", "ruby", "app/users_controller.rb", "UsersController.search"))
    b.replace("Prevent command injection in archive", "app/users_controller.rb",
              '''system("tar czf archive.tgz #{params[:dir]}")''', '''system("tar", "czf", "archive.tgz", params[:dir])''')
    expected.append(Expected("rbapp", "Prevent command injection in archive", "CWE-078", "ruby", "app/users_controller.rb", "UsersController.archive"))
    return b


def build_repositories(root: Path) -> tuple[dict[str, RepoBuilder], list[Expected]]:
    expected: list[Expected] = []
    builders = {}
    for build in (build_python, build_javascript, build_go, build_ruby):
        builder = build(root, expected)
        builders[builder.name] = builder
    return builders, expected
