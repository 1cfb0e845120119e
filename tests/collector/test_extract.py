"""Changed functions through tree-sitter, in the six languages; layout-only changes dropped."""

from __future__ import annotations

import pytest

from safecoder.collector.extract import changed_functions, functions, same_code

CASES = {
    "python": (
        'import os\n\n@app.route("/u")\ndef get(db, name):\n    """Doc."""\n    return db.execute("q %s" % name)\n\n'
        "class Store:\n    def keep(self, x):\n        return x\n\n    def drop(self, x):\n        return None\n",
        'import os\n\n@app.route("/u")\ndef get(db, name):\n    """Doc, reworded."""\n    return db.execute("q ?", (name,))\n\n'
        "class Store:\n    def keep(self, x):\n        # unchanged apart from this comment\n        return  x\n\n    def drop(self, x):\n        return x\n",
        ["get", "Store.drop"],
    ),
    "javascript": (
        'app.get("/u", (req, res) => {\n  res.send(req.query.q);\n});\nclass A {\n  m() { return 1; }\n}\nconst f = function (a) { return a; };\n',
        'app.get("/u", (req, res) => {\n  res.send(escape(req.query.q));\n});\nclass A {\n  m() { return 2; }\n}\nconst f = function (a) { /* note */ return a; };\n',
        ['app.get("/u")', "A.m"],
    ),
    "go": (
        "package p\n\nfunc (s *Srv) Get(a int) int { return a }\n\nfunc Keep() int { return 1 }\n",
        "package p\n\nfunc (s *Srv) Get(a int) int { return a + 1 }\n\n// Keep keeps.\nfunc Keep() int {\n\treturn 1\n}\n",
        ["Srv.Get"],
    ),
    "java": (
        "class A {\n  void m(int a) { q(a); }\n  void m(String s) { q(s); }\n  A() { init(); }\n}\n",
        "class A {\n  void m(int a) { q(a); }\n  void m(String s) { r(s); }\n  A() { init(); }\n}\n",
        ["A.m"],
    ),
    "ruby": (
        "class A\n  def self.x(a)\n    a\n  end\n\n  def y\n    1\n  end\nend\n",
        "class A\n  def self.x(a)\n    a + 1\n  end\n\n  def y\n    # one\n    1\n  end\nend\n",
        ["A.self.x"],
    ),
    "c": (
        "static char *copy(char *d, const char *s) { strcpy(d, s); return d; }\nint keep(void) { return 0; }\n",
        "static char *copy(char *d, const char *s) { strncpy(d, s, 8); return d; }\nint keep(void)\n{\n  return 0;\n}\n",
        ["copy"],
    ),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_changed_functions_per_language(language):
    before, after, names = CASES[language]
    hint = "x.c" if language == "c" else None
    pairs = changed_functions(before, after, language, hint)
    assert [p.name for p in pairs] == names
    for pair in pairs:
        assert pair.before != pair.after
        assert pair.before in before and pair.after in after


def test_pairs_carry_decorators_and_line_ranges():
    before, after, _ = CASES["python"]
    pair = changed_functions(before, after, "python")[0]
    assert pair.before.startswith('@app.route("/u")\ndef get(db, name):')
    assert pair.before_lines == (3, 6) and pair.after_lines == (3, 6)


def test_nested_change_is_reported_at_the_innermost_function():
    before = "def outer(a):\n    def inner(b):\n        return b + 1\n    return inner(a)\n"
    inner_only = "def outer(a):\n    def inner(b):\n        return b + 2\n    return inner(a)\n"
    both = "def outer(a):\n    def inner(b):\n        return b + 2\n    return inner(a) * 2\n"
    assert [p.name for p in changed_functions(before, inner_only, "python")] == ["outer.inner"]
    assert [p.name for p in changed_functions(before, both, "python")] == ["outer"]


def test_indentation_that_changes_meaning_is_a_change():
    before = "def f(x):\n    if x:\n        a()\n        b()\n"
    after = "def f(x):\n    if x:\n        a()\n    b()\n"
    assert [p.name for p in changed_functions(before, after, "python")] == ["f"]
    assert not same_code(before, after, "python")
    assert same_code("int f() { return 1; }", "int f()\n{\n  // one\n  return 1;\n}\n", "c")


def test_functions_lists_units_once_with_overload_indexes():
    units = functions(CASES["java"][0], "java")
    assert [(u.name, u.index) for u in units] == [("A.m", 0), ("A.m", 1), ("A.A", 0)]
