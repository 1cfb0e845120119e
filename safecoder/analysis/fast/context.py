"""One parsed source as the in-process rules see it: nodes by type, resolved calls, literals.

Inputs: a prepared source and its tree-sitter tree. What a rule can ask:
- `nodes(type, ...)`: every node of those types (one walk of the tree, shared by all rules);
- `calls`/`calls_to(pattern, ...)`: calls with their callee's dotted name, resolved through
  the file's imports the way Semgrep resolves them (`from os import system as s; s(x)` is
  `os.system`; `cp = require("child_process")` makes `cp.exec` `child_process.exec`);
  patterns are shell-style (`*.execute`, `subprocess.*`);
- `positional(call)`, `keyword(call, name)`: a call's arguments;
- `is_literal(node)`, `is_built_string(node)`, `string_value(node)`: constant vs dynamically
  built strings;
- `position(byte)`: 1-based line and character column.

This module knows nothing about any CWE; the rule modules do.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safecoder.analysis.fast.grammar import GRAMMARS, GrammarMap
from safecoder.analysis.inputs import PreparedSource

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True)
class Call:
    node: Node
    name: str          # resolved dotted name; "?" for parts that are not names
    receiver: Node | None
    arguments: Node | None
    raw_name: str = ""  # the dotted name as written, before import resolution


class Context:
    def __init__(self, source: PreparedSource, tree):
        self.source = source
        self.language = source.language.id
        self.grammar: GrammarMap = GRAMMARS[self.language]
        self.root = tree.root_node
        self.data = source.data
        self._by_type: dict[str, list] | None = None
        self._line_starts: list[int] | None = None

    # --- text and positions -------------------------------------------------------------
    def text(self, node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", errors="replace")

    def position(self, byte: int) -> tuple[int, int]:
        if self._line_starts is None:
            starts = [0]
            starts.extend(match.end() for match in re.finditer(b"\n", self.data))
            self._line_starts = starts
        import bisect

        row = bisect.bisect_right(self._line_starts, byte) - 1
        line_start = self._line_starts[row]
        column = len(self.data[line_start:byte].decode("utf-8", errors="replace")) + 1
        return row + 1, column

    # --- nodes ------------------------------------------------------------------------------
    def nodes(self, *types: str) -> list:
        if self._by_type is None:
            self._by_type = _index(self.root)
        if len(types) == 1:
            return self._by_type.get(types[0], [])
        found = [node for kind in types for node in self._by_type.get(kind, [])]
        found.sort(key=lambda node: node.start_byte)
        return found

    def enclosing(self, node, *types: str):
        current = node.parent
        while current is not None:
            if current.type in types:
                return current
            current = current.parent
        return None

    def enclosing_function(self, node):
        return self.enclosing(node, *self.grammar.functions)

    # --- calls ------------------------------------------------------------------------------
    @functools.cached_property
    def imports(self) -> dict[str, str]:
        from safecoder.analysis.fast.imports import import_aliases

        return import_aliases(self)

    @functools.cached_property
    def calls(self) -> list[Call]:
        from safecoder.analysis.fast.calls import collect_calls

        return collect_calls(self)

    def calls_to(self, *patterns: str) -> list[Call]:
        """Calls whose resolved or written name matches; Semgrep matches an unqualified
        pattern `f(...)` against imported names written as `f` too."""
        compiled = _patterns(patterns)
        return [call for call in self.calls if compiled.match(call.name) or compiled.match(call.raw_name)]

    def name_of(self, node) -> str:
        """The resolved dotted name of an expression (`os.path.join`), `?` for non-name parts."""
        from safecoder.analysis.fast.calls import dotted_name

        return dotted_name(self, node)

    def positional(self, call: Call) -> list:
        from safecoder.analysis.fast.calls import split_arguments

        return split_arguments(self, call)[0]

    def keyword(self, call: Call, name: str):
        from safecoder.analysis.fast.calls import split_arguments

        return split_arguments(self, call)[1].get(name)

    def argument(self, call: Call, position: int, keyword: str | None = None):
        positional, keywords = _split(self, call)
        if keyword is not None and keyword in keywords:
            return keywords[keyword]
        return positional[position] if 0 <= position < len(positional) else None

    # --- literals -----------------------------------------------------------------------------
    def is_string(self, node) -> bool:
        return node is not None and node.type in self.grammar.strings

    def is_literal(self, node) -> bool:
        from safecoder.analysis.fast.literals import is_literal

        return is_literal(self, node)

    def is_built_string(self, node) -> bool:
        from safecoder.analysis.fast.literals import is_built_string

        return is_built_string(self, node)

    def string_value(self, node) -> str | None:
        from safecoder.analysis.fast.literals import string_value

        return string_value(self, node)


def _split(ctx: Context, call: Call):
    from safecoder.analysis.fast.calls import split_arguments

    return split_arguments(ctx, call)


def _index(root) -> dict[str, list]:
    by_type: dict[str, list] = {}
    cursor = root.walk()
    while True:
        node = cursor.node
        if node.is_named:
            by_type.setdefault(node.type, []).append(node)
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return by_type


@functools.lru_cache(maxsize=4096)
def _patterns(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in patterns))
