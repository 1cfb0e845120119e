import pytest

from safecoder import cwe, languages


@pytest.mark.parametrize(
    ("name", "expected"),
    [("py", "python"), ("src/app/main.JSX", "javascript"), ("lib/x.cc", "c"), ("foo.C", "c"), ("Golang", "go"),
     ("Ruby", "ruby"), ("java", "java"), ("C/C++", "c"), (".rb", "ruby")],
)
def test_language_of_accepts_ids_names_extensions_and_paths(name, expected):
    assert languages.language_of(name).id == expected


def test_unknown_language_names_the_supported_ones():
    with pytest.raises(languages.UnknownLanguageError, match="supported are c, go, java, javascript, python, ruby"):
        languages.language_of("main.rs")


def test_every_language_has_a_working_tree_sitter_parser():
    samples = {
        "c": b"int f(int x) { return x + 1; }",
        "go": b"package main\nfunc f(x int) int { return x + 1 }\n",
        "java": b"class A { int f(int x) { return x + 1; } }",
        "javascript": b"function f(x) { return <div>{x}</div>; }",
        "python": b"def f(x):\n    return x + 1\n",
        "ruby": b"def f(x)\n  x + 1\nend\n",
    }
    for language in languages.LANGUAGES:
        tree = languages.parser_for(language).parse(samples[language.id])
        assert not tree.root_node.has_error, language.id
        broken = languages.parser_for(language).parse(samples[language.id][:-6] + b"(((")
        assert broken.root_node.has_error, language.id


@pytest.mark.parametrize("raw", ["89", 89, "cwe-89", "CWE-089", "CWE-0089", "cwe_089"])
def test_cwe_ids_normalise_to_the_papers_spelling(raw):
    assert cwe.normalize(raw) == "CWE-089"


def test_malformed_cwe_is_rejected():
    with pytest.raises(cwe.UnknownCWEError, match="malformed CWE id"):
        cwe.normalize("SQLi")


def test_catalog_covers_the_papers_cwes_and_the_top_25():
    papers = [22, 78, 79, 89, 116, 119, 125, 190, 200, 295, 326, 327, 338, 352, 377, 416, 476, 502, 611, 676,
              681, 732, 787, 915, 916]
    for number in papers:
        entry = cwe.get(number)
        assert entry.name and entry.summary
        assert entry.url.endswith(f"/{number}.html")
    ranks = [c.top25_rank for c in cwe.top25()]
    assert ranks == list(range(1, 26))


def test_catalog_covers_every_cwe_in_the_shared_data(shared_data):
    from safecoder.data import load_records, load_scenarios

    pairs, _ = load_records(shared_data / "security_pairs")
    seen = {p.cwe for p in pairs.records} | {s.cwe for s in load_scenarios(shared_data / "sec_eval")}
    for cwe_id in seen:
        assert cwe.get(cwe_id).id == cwe_id


def test_short_names_are_the_quoted_common_form_or_the_name():
    assert cwe.short_name("89") == "SQL Injection"
    assert cwe.short_name("CWE-078") == "OS Command Injection"
    plain = next(entry for entry in cwe.catalog().values() if "('" not in entry.name)
    assert cwe.short_name(plain.id) == plain.name
    assert cwe.short_name("CWE-99999") == "weakness"
