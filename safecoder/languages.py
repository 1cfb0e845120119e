"""The six languages of the paper, how to recognise them, and their tree-sitter grammars.

C and C++ are one language here, as in the paper's data (`c`, `cc`, `cpp`, `h` files all
count as C/C++); JavaScript includes JSX. A language is named by a stable id (`python`,
`c`, ...); `language_of` accepts that id, a display name, a file extension or a file
name, so every stage can normalise what its inputs call a language.

Parsers are built on first use and cached per process. This module does not judge
syntax or security; `safecoder.analysis` does.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from safecoder.errors import SafeCoderError


@dataclass(frozen=True)
class Language:
    id: str
    display_name: str
    extensions: tuple[str, ...]
    grammar: str
    markdown_tags: tuple[str, ...]
    line_comment: str

    @property
    def default_extension(self) -> str:
        return self.extensions[0]


LANGUAGES: tuple[Language, ...] = (
    Language("c", "C/C++", ("c", "cc", "cpp", "cxx", "h", "hpp", "hh", "hxx"), "cpp",
             ("c", "cpp", "c++", "cc", "h"), "//"),
    Language("go", "Go", ("go",), "go", ("go", "golang"), "//"),
    Language("java", "Java", ("java",), "java", ("java",), "//"),
    Language("javascript", "JavaScript", ("js", "jsx", "mjs", "cjs"), "javascript",
             ("javascript", "js", "jsx", "node"), "//"),
    Language("python", "Python", ("py", "pyw"), "python", ("python", "py", "python3"), "#"),
    Language("ruby", "Ruby", ("rb", "rake"), "ruby", ("ruby", "rb"), "#"),
)

_BY_ID = {language.id: language for language in LANGUAGES}
_ALIASES: dict[str, Language] = {}
for _language in LANGUAGES:
    for _name in (_language.id, _language.display_name, *_language.extensions, *_language.markdown_tags):
        _ALIASES[_name.lower()] = _language
_ALIASES.update({"c++": _BY_ID["c"], "cpp": _BY_ID["c"], "c/c++": _BY_ID["c"], "golang": _BY_ID["go"]})


class UnknownLanguageError(SafeCoderError, ValueError):
    """A language name, extension or file that is not one of the six supported languages."""


def language_of(name_or_path: str) -> Language:
    """The language named by an id, a display name, an extension (`py`, `.jsx`) or a file path.

    Extensions are matched case-insensitively (the shared data has a `.C` file).
    """
    key = name_or_path.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    extension = os.path.splitext(key)[1].lstrip(".") or key.lstrip(".")
    if extension in _ALIASES:
        return _ALIASES[extension]
    supported = ", ".join(language.id for language in LANGUAGES)
    raise UnknownLanguageError(
        f"unknown language {name_or_path!r}: supported are {supported} "
        f"(or their file extensions)"
    )


def maybe_language_of(name_or_path: str) -> Language | None:
    try:
        return language_of(name_or_path)
    except UnknownLanguageError:
        return None


def get(language_id: str) -> Language:
    try:
        return _BY_ID[language_id]
    except KeyError:
        raise UnknownLanguageError(f"unknown language id {language_id!r}; expected one of {sorted(_BY_ID)}") from None


@functools.cache
def tree_sitter_language(grammar: str):
    """The tree-sitter `Language` for a grammar name (`c`, `cpp`, `go`, ...)."""
    import tree_sitter

    modules = {
        "c": "tree_sitter_c",
        "cpp": "tree_sitter_cpp",
        "go": "tree_sitter_go",
        "java": "tree_sitter_java",
        "javascript": "tree_sitter_javascript",
        "python": "tree_sitter_python",
        "ruby": "tree_sitter_ruby",
    }
    if grammar not in modules:
        raise UnknownLanguageError(f"no tree-sitter grammar {grammar!r}; known: {sorted(modules)}")
    import importlib

    module = importlib.import_module(modules[grammar])
    return tree_sitter.Language(module.language())


def parser_for(language: Language | str, path_hint: str | None = None):
    """A tree-sitter parser for a language; `.c`/`.h` files use the C grammar, others C++."""
    import tree_sitter

    language = language if isinstance(language, Language) else language_of(language)
    grammar = language.grammar
    if language.id == "c" and path_hint and os.path.splitext(path_hint)[1].lower() in (".c", ".h"):
        grammar = "c"
    return tree_sitter.Parser(tree_sitter_language(grammar))
