"""Function fragments as analysable files: the smallest wrapper under which a fragment parses.

The security pairs hold single functions cut out of files: Python methods still carry
their class's indentation, JavaScript class methods (`name(args) { ... }`) are not valid
at the top level, Java methods and Go functions lack their class or package. Both
tree-sitter and Semgrep need a parseable file, so `wrap_fragment` tries, per language,
the code as it is and then a few neutral wrappers (dedent, `class Fragment { ... }`,
`package fragment`), and returns the first that parses, with the number of lines it
added in front (to map findings back).

Input: code and a language id. Output: `Fragment(text, line_offset, wrapper)`; a
fragment that parses under no wrapper comes back unchanged (`wrapper="none"`), and the
analysis then reports it as a syntax error. This module changes no code inside the
fragment.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from safecoder.analysis.inputs import InputProblem, SourceInput, prepare_source
from safecoder.analysis.syntax import check_syntax


@dataclass(frozen=True)
class Fragment:
    text: str
    line_offset: int
    wrapper: str


def _candidates(code: str, language: str) -> list[tuple[str, str, int]]:
    """(wrapper name, text, lines added in front), in order of preference."""
    candidates = [("as-is", code, 0)]
    dedented = textwrap.dedent(code)
    if dedented != code:
        candidates.append(("dedent", dedented, 0))
    if language == "javascript":
        candidates.append(("class", "class Fragment {\n" + code + "\n}\n", 1))
        if code.lstrip().startswith("."):
            candidates.append(("receiver", "fragment" + code.lstrip(), 0))
        candidates.append(("object", "var fragment = {\n" + code + "\n};\n", 1))
    elif language == "java":
        candidates.append(("class", "class Fragment {\n" + code + "\n}\n", 1))
    elif language == "go":
        candidates.append(("package", "package fragment\n" + code, 1))
    elif language == "ruby":
        candidates.append(("class", "class Fragment\n" + dedented + "\nend\n", 1))
    return candidates


def wrap_fragment(code: str, language: str, name: str = "") -> Fragment:
    """The first candidate text that tree-sitter parses without error."""
    for wrapper, text, offset in _candidates(code, language):
        prepared = prepare_source(SourceInput(text, language, name))
        if isinstance(prepared, InputProblem):
            break
        verdict, _ = check_syntax(prepared, policy="tree-sitter")
        if verdict.ok:
            return Fragment(text, offset, wrapper)
    return Fragment(code, 0, "none")
