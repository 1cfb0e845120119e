"""Does the code parse? Tree-sitter for the six languages, in process, with a policy for partial code.

Inputs: a `PreparedSource`. Output: a `SyntaxVerdict` (parsed or not, where the first
error is, whether the code was accepted as *partial*) plus the tree-sitter tree, which
the in-process rules reuse so that each snippet is parsed once.

Three policies:
- `strict` (whole files: scenario completions, repository files): any ERROR or MISSING
  node is a syntax error. Python is also checked by Python's own parser, which rejects
  some code tree-sitter accepts.
- `tree-sitter`: as strict, without Python's own parser (which rejects Python 2 code that
  older repositories and datasets still hold).
- `partial` (code being typed in an editor, a gate candidate): code whose error region
  runs to the end of the input and whose innermost errors (the tokens tree-sitter could
  not place, and MISSING tokens) all lie in its last `PARTIAL_TAIL_LINES` lines of
  content is *partial*: unfinished rather than broken. It is still judged, on
  tree-sitter's error-recovered tree, and the result says so (`partial`). An innermost
  error earlier in the code means the code is broken: a syntax error.

The compilers (gcc, javac, node, ruby, gofmt) live in `compilers`; this module runs no
process.
"""

from __future__ import annotations

import ast
import threading
import warnings
from dataclasses import dataclass
from typing import Literal

from safecoder import languages
from safecoder.analysis.inputs import PreparedSource

SyntaxPolicy = Literal["strict", "tree-sitter", "partial"]
PARTIAL_TAIL_LINES = 2

_local = threading.local()


@dataclass(frozen=True)
class SyntaxVerdict:
    ok: bool
    checker: str
    message: str | None = None
    line: int | None = None
    column: int | None = None
    partial: bool = False


def grammar_for(source: PreparedSource) -> str:
    """The tree-sitter grammar for a source: `.c`/`.h` use the C grammar, other C-family files C++."""
    if source.language.id == "c" and source.extension in ("c", "h"):
        return "c"
    return source.language.grammar


def parse(source: PreparedSource):
    """The tree-sitter tree of a source; parsers are per thread (a parser is not thread-safe)."""
    import tree_sitter

    grammar = grammar_for(source)
    parsers = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(grammar)
    if parser is None:
        parser = parsers[grammar] = tree_sitter.Parser(languages.tree_sitter_language(grammar))
    return parser.parse(source.data)


def tree_sitter_version() -> str:
    from importlib.metadata import version

    return f"tree-sitter {version('tree-sitter')}"


def check_syntax(source: PreparedSource, tree=None, policy: SyntaxPolicy = "strict") -> tuple[SyntaxVerdict, object]:
    """The verdict for `source` under `policy`, and the tree it was based on."""
    tree = tree if tree is not None else parse(source)
    root = tree.root_node
    if not root.has_error:
        if policy == "strict" and source.language.id == "python":
            return _python_parser_verdict(source), tree
        return SyntaxVerdict(True, "tree-sitter"), tree
    first = first_error(root)
    line, column = _position(source, first)
    description = _describe(source, first)
    if policy == "partial" and _unfinished(source, root):
        return SyntaxVerdict(True, "tree-sitter", f"partial code: {description} at line {line}, column {column}",
                             line, column, partial=True), tree
    return SyntaxVerdict(False, "tree-sitter", f"line {line}, column {column}: {description}", line, column), tree


def first_error(node):
    """The first ERROR or MISSING node in document order (the tree has errors)."""
    cursor = node.walk()
    while True:
        current = cursor.node
        if current.is_error or current.is_missing:
            return current
        if current.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return node
    # unreachable: the loop returns


def _unfinished(source: PreparedSource, root) -> bool:
    """The errors reach the end of the content and the innermost ones all sit in its last lines."""
    content_end = len(source.data.rstrip())
    last_content_row = source.data[:content_end].count(b"\n")
    reaches_end = False
    stack = [root]
    while stack:
        node = stack.pop()
        if not (node.is_error or node.is_missing or node.has_error):
            continue
        if node.is_error or node.is_missing:
            reaches_end = reaches_end or node.end_byte >= content_end
            innermost = node.is_missing or not any(child.has_error or child.is_error or child.is_missing
                                                   for child in node.children)
            if innermost and node.end_point[0] <= last_content_row - PARTIAL_TAIL_LINES:
                return False
        stack.extend(node.children)
    return reaches_end


def _position(source: PreparedSource, node) -> tuple[int, int]:
    row, column_bytes = node.start_point
    line_start = source.data.rfind(b"\n", 0, node.start_byte) + 1
    column = len(source.data[line_start:line_start + column_bytes].decode("utf-8", errors="replace")) + 1
    return row + 1, column


def _describe(source: PreparedSource, node) -> str:
    if node.is_missing:
        return f"missing {node.type!r}"
    text = source.data[node.start_byte:node.end_byte].decode("utf-8", errors="replace").strip()
    if not text:
        return "unexpected end of input"
    snippet = text.splitlines()[0][:40]
    return f"unexpected {snippet!r}"


def _python_parser_verdict(source: PreparedSource) -> SyntaxVerdict:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings (invalid escapes) are not errors
            ast.parse(source.text, filename=source.name)
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = exc.offset or 1
        return SyntaxVerdict(False, "python", f"line {line}, column {column}: {exc.msg}", line, column)
    except (ValueError, RecursionError, MemoryError) as exc:
        return SyntaxVerdict(False, "python", f"unparseable: {exc}")
    return SyntaxVerdict(True, "tree-sitter+python")
