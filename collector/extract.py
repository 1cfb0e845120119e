"""The functions a fix changed, as (before, after) pairs, through tree-sitter.

Input: one file's source before and after a commit, and its language. Output:
`FunctionPair`s, one per function or method whose code changed, with its qualified name
(`Class.method`, `outer.inner`, `app.get('/users')` for a JavaScript callback) and its
line range on both sides.

Functions are matched by qualified name and position among same-named ones (overloads).
Whitespace and comments never count as a change: two versions are compared as their
syntax trees' leaf tokens (text and depth, comments and Python docstrings left out), so a
pair differing only in layout or comments is dropped, while a Python line moved in or out
of a block is still a change. A change is reported at the innermost function that holds
all of it: an outer function is reported only when it changed outside its nested
functions. Functions that exist on one side only are not pairs.

Not here: deciding whether a change fixes anything (`safecoder.collector.verify`).
"""

from __future__ import annotations

from dataclasses import dataclass

from safecoder import languages

COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment", "documentation_comment"})

# Node types that are units of extraction, per language id.
FUNCTION_TYPES: dict[str, frozenset[str]] = {
    "python": frozenset({"function_definition"}),
    "c": frozenset({"function_definition"}),
    "go": frozenset({"function_declaration", "method_declaration", "func_literal"}),
    "java": frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"}),
    "javascript": frozenset({
        "function_declaration", "generator_function_declaration", "method_definition",
        "function_expression", "arrow_function", "generator_function",
    }),
    "ruby": frozenset({"method", "singleton_method"}),
}
# Node types whose name qualifies the functions inside them.
SCOPE_TYPES: dict[str, frozenset[str]] = {
    "python": frozenset({"class_definition"}),
    "c": frozenset({"class_specifier", "struct_specifier", "namespace_definition"}),
    "go": frozenset(),
    "java": frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration"}),
    "javascript": frozenset({"class_declaration", "class"}),
    "ruby": frozenset({"class", "module", "singleton_class"}),
}


@dataclass(frozen=True)
class FunctionUnit:
    name: str
    index: int  # position among units of the same name in the file
    code: str
    start_line: int  # 1-based, inclusive
    end_line: int
    tokens: tuple[tuple[int, bytes], ...]
    own_tokens: tuple[tuple[int, bytes], ...]  # nested units replaced by a marker
    children: tuple[FunctionUnit, ...]

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.index)


@dataclass(frozen=True)
class FunctionPair:
    name: str
    before: str
    after: str
    before_lines: tuple[int, int]
    after_lines: tuple[int, int]


class _Extractor:
    def __init__(self, language_id: str, source: bytes):
        self.language_id = language_id
        self.source = source
        self.function_types = FUNCTION_TYPES[language_id]
        self.scope_types = SCOPE_TYPES[language_id]
        self.counts: dict[str, int] = {}

    def units(self, node, scope: tuple[str, ...]) -> list[tuple[FunctionUnit, tuple[int, int]]]:
        """(unit, its byte span) for the outermost units below `node`."""
        found: list[tuple[FunctionUnit, tuple[int, int]]] = []
        for child in node.children:
            if child.type in self.function_types:
                found.append(self.unit(child, scope))
            elif child.type in self.scope_types:
                name = _node_name(child)
                found.extend(self.units(child, (*scope, name) if name else scope))
            else:
                found.extend(self.units(child, scope))
        return found

    def unit(self, node, scope: tuple[str, ...]) -> tuple[FunctionUnit, tuple[int, int]]:
        name = ".".join((*scope, self.function_name(node)))
        index = self.counts.get(name, 0)
        self.counts[name] = index + 1
        children = self.units(node, (name,))
        outer = node
        if self.language_id == "python" and node.parent is not None and node.parent.type == "decorated_definition":
            outer = node.parent  # decorators belong to the function (routes, access checks)
        tokens: list[tuple[int, bytes]] = []
        own: list[tuple[int, bytes]] = []
        _collect_tokens(outer, 0, self.language_id, tokens, own, {span for _, span in children})
        line_start = outer.start_byte - outer.start_point[1]
        if self.source[line_start:outer.start_byte].strip():
            line_start = outer.start_byte  # starts mid-line (a callback): take the function alone
        unit = FunctionUnit(
            name=name,
            index=index,
            code=self.source[line_start:outer.end_byte].decode("utf-8", "replace"),
            start_line=outer.start_point[0] + 1,
            end_line=outer.end_point[0] + 1,
            tokens=tuple(tokens),
            own_tokens=tuple(own),
            children=tuple(child for child, _ in children),
        )
        return unit, (outer.start_byte, outer.end_byte)

    def function_name(self, node) -> str:
        name = _node_name(node)
        if name:
            if node.type == "method_declaration" and self.language_id == "go":
                receiver = node.child_by_field_name("receiver")
                receiver_type = _go_receiver_type(receiver) if receiver is not None else ""
                return f"{receiver_type}.{name}" if receiver_type else name
            if node.type == "singleton_method":
                return f"self.{name}"
            return name
        parent = node.parent
        if parent is not None:
            if parent.type == "variable_declarator":
                return _text(parent.child_by_field_name("name"))
            if parent.type == "pair":
                return _text(parent.child_by_field_name("key"))
            if parent.type in ("assignment_expression", "augmented_assignment_expression"):
                return _text(parent.child_by_field_name("left"))
            if parent.type == "arguments" and parent.parent is not None and parent.parent.type == "call_expression":
                callee = _text(parent.parent.child_by_field_name("function"))
                first = parent.named_children[0] if parent.named_children else None
                label = _text(first) if first is not None and first.type in ("string", "template_string") else ""
                return f"{callee}({label})" if label else f"{callee}(<callback>)"
        return "<anonymous>"


def functions(code: str, language: str, path_hint: str | None = None) -> list[FunctionUnit]:
    """The outermost function units of a file (nested ones hang from `children`)."""
    language_obj = languages.language_of(language)
    source = code.encode("utf-8")
    tree = languages.parser_for(language_obj, path_hint).parse(source)
    return [unit for unit, _ in _Extractor(language_obj.id, source).units(tree.root_node, ())]


def changed_functions(before: str, after: str, language: str, path_hint: str | None = None) -> list[FunctionPair]:
    """The (before, after) pairs of the functions whose tokens differ, innermost that holds the change."""
    before_units = functions(before, language, path_hint)
    after_units = functions(after, language, path_hint)
    pairs: list[FunctionPair] = []
    _match(before_units, after_units, pairs)
    return pairs


def _match(before_units: list[FunctionUnit], after_units: list[FunctionUnit], pairs: list[FunctionPair]) -> None:
    after_by_key = {u.key: u for u in after_units}
    for old in before_units:
        new = after_by_key.get(old.key)
        if new is None or old.tokens == new.tokens:
            continue
        if old.own_tokens != new.own_tokens or not old.children:
            pairs.append(FunctionPair(old.name, old.code, new.code, (old.start_line, old.end_line), (new.start_line, new.end_line)))
        else:
            _match(list(old.children), list(new.children), pairs)


def same_code(a: str, b: str, language: str, path_hint: str | None = None) -> bool:
    """True when two snippets differ only in whitespace and comments."""
    return _file_tokens(a, language, path_hint) == _file_tokens(b, language, path_hint)


def _file_tokens(code: str, language: str, path_hint: str | None) -> list[tuple[int, bytes]]:
    language_obj = languages.language_of(language)
    tree = languages.parser_for(language_obj, path_hint).parse(code.encode("utf-8"))
    tokens: list[tuple[int, bytes]] = []
    _collect_tokens(tree.root_node, 0, language_obj.id, tokens, [], set())
    return tokens


def _collect_tokens(node, depth: int, language_id: str, tokens: list, own: list, nested: set[tuple[int, int]]) -> None:
    """Leaf tokens (depth, text) without comments; `own` replaces nested units by a marker."""
    stack = [(node, depth, False)]
    while stack:
        current, level, inside_nested = stack.pop()
        if current.type in COMMENT_TYPES or _is_docstring(current, language_id):
            continue
        span = (current.start_byte, current.end_byte)
        if not inside_nested and level != depth and span in nested:
            own.append((level, b"<nested>"))
            inside_nested = True
        if current.child_count == 0:
            token = (level, current.text or b"")
            tokens.append(token)
            if not inside_nested:
                own.append(token)
            continue
        for child in reversed(current.children):
            stack.append((child, level + 1, inside_nested))


def _is_docstring(node, language_id: str) -> bool:
    if language_id != "python" or node.type != "expression_statement":
        return False
    if node.named_child_count != 1 or node.named_children[0].type != "string":
        return False
    parent = node.parent
    return parent is not None and parent.type == "block" and parent.named_children[0] == node


def _node_name(node) -> str:
    name = node.child_by_field_name("name")
    if name is None and node.type == "function_definition":
        return _declarator_name(node.child_by_field_name("declarator"))
    return _text(name)


def _declarator_name(declarator) -> str:
    """C/C++: the identifier inside (pointer/reference/function) declarators."""
    while declarator is not None:
        if declarator.type in ("identifier", "field_identifier", "qualified_identifier", "destructor_name",
                               "operator_name", "template_function"):
            return _text(declarator)
        inner = declarator.child_by_field_name("declarator")
        if inner is None:
            named = [c for c in declarator.named_children if c.type != "parameter_list"]
            inner = named[0] if named else None
        declarator = inner
    return ""


def _go_receiver_type(receiver) -> str:
    for parameter in receiver.named_children:
        kind = parameter.child_by_field_name("type")
        if kind is not None:
            return _text(kind).lstrip("*")
    return ""


def _text(node) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""
