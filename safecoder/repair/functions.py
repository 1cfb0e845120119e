"""Functions in source code, found with tree-sitter: the unit a fix rewrites.

(Used by `safecoder fix`, the editor's "Fix with SafeCoder" and the repair benchmark.)

`enclosing_function(source, language, line, column)` returns the innermost function or
method around a position (0-based line, character column) as a `FunctionSpan`: its
character offsets in the source, its name (None for anonymous functions), and its text
without the indentation of its first line (`dedented`), which is what the model sees.
For decorated Python functions the decorators belong to the span; an anonymous
JavaScript function (a callback, an arrow function assigned to a variable) widens to the
statement that holds it, so the model rewrites a complete unit.

`errors_within(source, language, start, end)` says whether tree-sitter finds syntax
errors inside a character range, which is how a spliced-in fix is checked to parse
without blaming errors elsewhere in a half-typed document. `function_at_offset` finds
the function around a character offset (the spliced-in fix's last character).
`signature(code, language)` is a function's head (everything before its body), with
whitespace collapsed: what a rewrite must keep to stay callable the same way.

Not here: deciding what to rewrite or judging security.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safecoder.languages import Language, parser_for

if TYPE_CHECKING:
    from tree_sitter import Node

FUNCTION_NODE_TYPES: dict[str, frozenset[str]] = {
    "python": frozenset({"function_definition"}),
    "javascript": frozenset({
        "function_declaration", "generator_function_declaration", "function_expression", "function",
        "generator_function", "arrow_function", "method_definition",
    }),
    "c": frozenset({"function_definition"}),
    "go": frozenset({"function_declaration", "method_declaration", "func_literal"}),
    "java": frozenset({"method_declaration", "constructor_declaration"}),
    "ruby": frozenset({"method", "singleton_method"}),
}
# Statements that hold an anonymous JavaScript function and are rewritten with it.
_JS_HOLDERS = frozenset({"expression_statement", "lexical_declaration", "variable_declaration", "export_statement"})


@dataclass(frozen=True)
class FunctionSpan:
    start: int  # character offsets into the source
    end: int
    name: str | None
    text: str
    indent: str  # what precedes the function on its first line (its indentation)

    @property
    def dedented(self) -> str:
        return textwrap.dedent(self.indent + self.text)

    def reindent(self, code: str) -> str:
        """Dedented `code` indented like this function, ready to replace `text` in place."""
        indented = textwrap.indent(code.strip("\n"), self.indent, lambda line: bool(line.strip()))
        return indented[len(self.indent):] if indented.startswith(self.indent) else indented.lstrip()


class _Source:
    """A source as UTF-8 bytes, with conversions between byte and character offsets."""

    def __init__(self, text: str):
        self.text = text
        self.data = text.encode("utf-8")

    def char_offset(self, byte_offset: int) -> int:
        return len(self.data[:byte_offset].decode("utf-8", errors="replace"))

    def byte_offset(self, char_offset: int) -> int:
        return len(self.text[:char_offset].encode("utf-8"))


def _parse(source: _Source, language: Language):
    return parser_for(language).parse(source.data)


def enclosing_function(source: str, language: Language, line: int, column: int = 0,
                       outermost: bool = False) -> FunctionSpan | None:
    """The innermost (or `outermost`) function containing (line, column), both 0-based; None
    outside any function."""
    kinds = FUNCTION_NODE_TYPES.get(language.id)
    if not kinds:
        return None
    text = _Source(source)
    lines = source.splitlines(True)
    if not 0 <= line < max(len(lines), 1):
        return None
    char_offset = sum(len(item) for item in lines[:line]) + min(column, len(lines[line]) if lines else 0)
    point = text.byte_offset(char_offset)
    tree = _parse(text, language)
    node = tree.root_node.descendant_for_byte_range(point, point)
    while node is not None and node.type not in kinds:
        node = node.parent
    if node is None:
        return None
    if outermost:
        outer = node.parent
        while outer is not None:
            if outer.type in kinds:
                node = outer
            outer = outer.parent
    name_node = node.child_by_field_name("name")
    name = _node_text(name_node)
    if language.id == "c":
        name = _c_function_name(node)
    if language.id == "python" and node.parent is not None and node.parent.type == "decorated_definition":
        node = node.parent
    if language.id == "javascript" and name is None:
        parent = node.parent
        if parent is not None and parent.type == "variable_declarator":
            declared = parent.child_by_field_name("name")
            name = _node_text(declared)
        holder = node.parent
        while holder is not None and holder.type not in _JS_HOLDERS:
            holder = holder.parent
        if holder is not None:
            node = holder
    start, end = text.char_offset(node.start_byte), text.char_offset(node.end_byte)
    line_start = source.rfind("\n", 0, start) + 1
    before = source[line_start:start]
    indent = before if not before.strip() else before[: len(before) - len(before.lstrip())]
    return FunctionSpan(start=start, end=end, name=name, text=source[start:end], indent=indent)


def _c_function_name(node) -> str | None:
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type not in ("identifier", "field_identifier",
                                                             "qualified_identifier", "destructor_name",
                                                             "operator_name"):
        declarator = declarator.child_by_field_name("declarator")
    return _node_text(declarator)


def _node_text(node: Node | None) -> str | None:
    """A node's source text, or None without a node (or for a tree parsed without its bytes)."""
    if node is None or node.text is None:
        return None
    return node.text.decode("utf-8", errors="replace")


def errors_within(source: str, language: Language, start: int, end: int) -> bool:
    """Whether tree-sitter finds an error or a missing token inside characters [start, end)."""
    text = _Source(source)
    low, high = text.byte_offset(start), text.byte_offset(end)
    tree = _parse(text, language)
    pending = [tree.root_node]
    while pending:
        node = pending.pop()
        if node.end_byte <= low or node.start_byte >= high:
            continue
        if node.is_error or node.is_missing:
            return True
        if node.has_error:
            pending.extend(node.children)
    return False


def function_at_offset(source: str, language: Language, offset: int) -> FunctionSpan | None:
    """The innermost function around character `offset` of `source`."""
    line = source.count("\n", 0, offset)
    column = offset - (source.rfind("\n", 0, offset) + 1)
    return enclosing_function(source, language, line, column)


def signature(code: str, language: Language) -> str | None:
    """The head of the outermost function of `code` (before its body), whitespace collapsed."""
    kinds = FUNCTION_NODE_TYPES.get(language.id)
    if not kinds:
        return None
    text = _Source(code)
    pending = [_parse(text, language).root_node]
    while pending:
        node = pending.pop(0)
        if node.type in kinds:
            body = node.child_by_field_name("body")
            if body is not None:
                head = text.data[node.start_byte:body.start_byte].decode("utf-8", errors="replace")
            else:  # grammars without a body field (Ruby): the first line
                head = text.data[node.start_byte:node.end_byte].decode("utf-8", errors="replace").split("\n")[0]
            return " ".join(head.split())
        pending.extend(node.children)
    return None
