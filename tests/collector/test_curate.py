"""Duplicates out, classes capped, deterministically."""

from __future__ import annotations

from safecoder.collector.curate import curate
from safecoder.data.records import Provenance, SecurityPair


def _pair(before, after, cwe="CWE-089", language="python", repository="r"):
    return SecurityPair("", after, before, cwe, language, Provenance(repository=repository))


BEFORE = "def get(db, name):\n    cur = db.cursor()\n    cur.execute('SELECT a, b, c FROM users WHERE name = %s' % name)\n    return cur.fetchall()\n"
AFTER = "def get(db, name):\n    cur = db.cursor()\n    cur.execute('SELECT a, b, c FROM users WHERE name = %s', (name,))\n    return cur.fetchall()\n"


def test_exact_duplicates_ignore_layout_and_comments():
    reformatted = _pair("def get(db, name):\n    # fetch\n    cur = db.cursor()\n    cur.execute('SELECT a, b, c FROM users WHERE name = %s' %  name)\n    return cur.fetchall()\n", AFTER)
    other_cwe = _pair(BEFORE, AFTER, cwe="CWE-078")
    kept, report = curate([_pair(BEFORE, AFTER), reformatted, other_cwe], near_threshold=1.0)
    assert kept[0].vulnerable_code == BEFORE and len(kept) == 2
    assert report.exact_duplicates == 1 and report.near_duplicates == 0


def test_near_duplicates_within_a_class():
    renamed = _pair(BEFORE.replace("fetchall", "fetchmany"), AFTER.replace("fetchall", "fetchmany"))
    different = _pair("def run(cmd):\n    os.system('ls ' + cmd)\n", "def run(cmd):\n    subprocess.run(['ls', cmd])\n")
    kept, report = curate([_pair(BEFORE, AFTER), renamed, different], near_threshold=0.6)
    assert report.near_duplicates == 1 and [p.vulnerable_code for p in kept] == [BEFORE, different.vulnerable_code]
    kept, report = curate([_pair(BEFORE, AFTER), renamed], near_threshold=0.99)
    assert report.near_duplicates == 0 and len(kept) == 2


def test_caps_are_stable_and_keep_order():
    pairs = [_pair(f"def f{i}(x):\n    return eval(x)\n", f"def f{i}(x):\n    return int(x)\n", repository=f"r{i % 2}")
             for i in range(10)]
    kept, report = curate(pairs, near_threshold=1.0, max_per_class=4)
    again, _ = curate(list(reversed(pairs)), near_threshold=1.0, max_per_class=4)
    assert report.class_cap == 6 and len(kept) == 4
    assert {p.id for p in kept} == {p.id for p in again}
    assert [pairs.index(p) for p in kept] == sorted(pairs.index(p) for p in kept)
    kept, report = curate(pairs, near_threshold=1.0, max_per_repository=3)
    assert report.repository_cap == 4 and len(kept) == 6
