"""An intra-procedural taint walk over tree-sitter trees, mirroring Semgrep's `mode: taint`.

Inputs: a `Context` and a `TaintSpec` (which expressions are sources, which are
sanitizers, which expressions are sinks). Output: the sink expressions that a tainted
value reaches.

Semantics, chosen to agree with Semgrep's taint mode on the project's rule tests:
- statements are walked in order; an assignment taints its target when its value is
  tainted and cleans it otherwise (strong update), `x += tainted` taints `x`;
- taint flows through every expression (operators, string building, attributes,
  subscripts, and calls: a call with a tainted receiver or argument returns taint),
  except through a sanitizer, whose result is clean;
- at a branch, the state afterwards is the union of its arms (plus the state before when
  there is no `else`); a loop body is walked twice and unioned with the state before;
- a lambda (an anonymous function) sees the enclosing state at its definition, minus its
  own parameters; a named nested function starts clean; neither changes the enclosing
  state.

Not modelled: flows between functions, through containers' contents beyond "the
container is tainted", exceptions' paths, or aliasing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

State = frozenset


def _never(ctx, node) -> bool:
    return False


@dataclass(frozen=True)
class TaintSpec:
    sinks: Callable[..., Iterable]
    is_source: Callable[..., bool]
    is_sanitizer: Callable[..., bool] = _never
    # Semgrep: `def $F(..., $P, ...)` with `focus-metavariable: $P`, i.e. every parameter is a source.
    parameters_are_sources: bool = False
    excluded_parameters: tuple[str, ...] = ()  # `metavariable-regex` excluding e.g. self and cls
    # `metavariable-regex` on the parameter's name (matched from its start, as Semgrep does).
    parameter_pattern: str | None = None
    # The function node types whose parameters are sources (None: every function type).
    parameter_functions: frozenset[str] | None = None


_MEMBER_TYPES = frozenset({"attribute", "member_expression", "field_access", "selector_expression",
                           "field_expression", "subscript", "subscript_expression", "element_reference",
                           "index_expression", "array_access"})
_COMPREHENSIONS = frozenset({"generator_expression", "list_comprehension", "set_comprehension",
                             "dictionary_comprehension"})
_DESTRUCTURING = frozenset({"expression_list", "pattern_list", "tuple_pattern", "list_pattern", "tuple",
                            "list", "object_pattern", "array_pattern", "left_assignment_list",
                            "parenthesized_expression", "as_pattern_target", "pointer_declarator",
                            "array_declarator", "reference_declarator", "init_declarator",
                            "destructured_parameter", "pair_pattern"})


def tainted_sinks(ctx, spec: TaintSpec) -> list:
    sinks = {node.id: node for node in spec.sinks(ctx) if node is not None}
    if not sinks:
        return []
    walker = _Walker(ctx, spec, sinks)
    walker.visit(ctx.root, State())
    return sorted(walker.hits.values(), key=lambda node: node.start_byte)


class _Walker:
    def __init__(self, ctx, spec: TaintSpec, sinks: dict):
        self.ctx, self.spec, self.sinks = ctx, spec, sinks
        self.grammar = ctx.grammar
        self.hits: dict[int, Node] = {}
        self._assignments = {kind: (target, value) for kind, target, value in self.grammar.assignments}

    # --- statements -------------------------------------------------------------------------
    def visit(self, node, state: State) -> State:
        if node.id in self.sinks and node.id not in self.hits and self.tainted(node, state):
            self.hits[node.id] = node
        kind = node.type
        if kind in self.grammar.comments:
            return state
        if kind in self.grammar.functions and node != self.ctx.root:
            inherited = state if kind in self.grammar.closures else State()
            parameters = self._parameters(node)
            if self.spec.parameters_are_sources and (self.spec.parameter_functions is None
                                                     or kind in self.spec.parameter_functions):
                sources = parameters - set(self.spec.excluded_parameters)
                if self.spec.parameter_pattern is not None:
                    pattern = re.compile(self.spec.parameter_pattern)
                    sources = State(name for name in sources if pattern.match(name))
                inherited = (inherited - parameters) | sources
            else:
                inherited = inherited - parameters
            self.visit_children(node, inherited)
            return state
        if kind in self.grammar.loops:
            first = self._visit_loop_once(node, state)
            second = self._visit_loop_once(node, first)
            return state | second
        if kind in self.grammar.branches:
            return self._visit_branch(node, state)
        if kind in self._assignments:
            return self._visit_assignment(node, state)
        if kind in self.grammar.augmented:
            target = node.child_by_field_name("left")
            value = node.child_by_field_name("right")
            state = self.visit(value, state) if value is not None else state
            if target is not None and value is not None and self.tainted(value, state):
                return self._assign(target, True, state)
            return state
        return self.visit_children(node, state)

    def visit_children(self, node, state: State) -> State:
        for child in node.named_children:
            state = self.visit(child, state)
        return state

    def _visit_loop_once(self, node, state: State) -> State:
        if node.type in self._assignments:
            return self._visit_assignment(node, state)
        return self.visit_children(node, state)

    def _visit_branch(self, node, state: State) -> State:
        condition = node.child_by_field_name("condition")
        if condition is not None:
            state = self.visit(condition, state)
        arms, has_else = [], False
        for index, child in enumerate(node.named_children):
            if condition is not None and child == condition:
                continue
            field = node.field_name_for_named_child(index)
            if field == "alternative" or "else" in child.type:
                has_else = True
            arms.append(child)
        outcomes = [self.visit(arm, state) for arm in arms]
        if not has_else or not outcomes:
            outcomes.append(state)
        merged = State()
        for outcome in outcomes:
            merged |= outcome
        return merged

    def _visit_assignment(self, node, state: State) -> State:
        target_field, value_field = self._assignments[node.type]
        target = node.child_by_field_name(target_field)
        if value_field == "*":
            named = [child for child in node.named_children if child != target]
            value = named[0] if named else None
        else:
            value = node.child_by_field_name(value_field)
        if value is not None:
            state = self.visit(value, state)
        if target is not None:
            self.visit(target, state)  # sinks can sit in the target (obj[key] = ...)
        if target is not None and value is not None:
            state = self._assign(target, self.tainted(value, state), state)
        for child in node.named_children:
            if child != target and child != value:
                state = self.visit(child, state)
        return state

    def _assign(self, target, is_tainted: bool, state: State) -> State:
        kind = target.type
        if kind in self.grammar.identifiers:
            name = self.ctx.text(target)
            return state | {name} if is_tainted else state - {name}
        if kind in _MEMBER_TYPES:
            text = self.ctx.text(target)
            if not is_tainted:
                return state - {text}
            base = target
            while base.type in _MEMBER_TYPES and base.named_children:
                base = base.named_children[0]
            extra = {self.ctx.text(base)} if base.type in self.grammar.identifiers and kind in (
                "subscript", "subscript_expression", "element_reference", "index_expression",
                "array_access") else set()
            return state | {text} | extra
        if kind in _DESTRUCTURING or kind.endswith("_pattern"):
            for child in target.named_children:
                state = self._assign(child, is_tainted, state)
            return state
        return state

    def _parameters(self, node) -> State:
        names: set[str] = set()
        for field in ("parameters", "parameter"):
            params = node.child_by_field_name(field)
            if params is None:
                continue
            if params.type in self.grammar.identifiers:
                names.add(self.ctx.text(params))
                continue
            for child in params.named_children:
                names |= self._parameter_name(child)
        return State(names)

    def _parameter_name(self, node) -> set[str]:
        if node.type in self.grammar.identifiers:
            return {self.ctx.text(node)}
        for field in ("name", "left", "declarator", "pattern"):
            inner = node.child_by_field_name(field)
            if inner is not None:
                return self._identifiers(inner)
        for child in node.named_children:
            if child.type in self.grammar.identifiers or child.type.endswith("pattern"):
                return self._identifiers(child)
        return set()

    def _identifiers(self, node) -> set[str]:
        if node.type in self.grammar.identifiers:
            return {self.ctx.text(node)}
        found = set()
        for child in node.named_children:
            found |= self._identifiers(child)
        return found

    # --- expressions ------------------------------------------------------------------------
    def tainted(self, node, state: State) -> bool:
        ctx, spec = self.ctx, self.spec
        if spec.is_sanitizer(ctx, node):
            return False
        if spec.is_source(ctx, node):
            return True
        kind = node.type
        if kind in self.grammar.identifiers:
            return ctx.text(node) in state
        if kind in self.grammar.functions or kind in self.grammar.comments:
            return False
        if kind in _MEMBER_TYPES and state and ctx.text(node) in state:
            return True
        if kind in _COMPREHENSIONS and node.named_children:
            # Python comprehension: its value is its element, with the loop targets bound first
            inner = state
            for clause in node.named_children[1:]:
                if clause.type == "for_in_clause":
                    target, value = clause.child_by_field_name("left"), clause.child_by_field_name("right")
                    if target is not None and value is not None:
                        inner = self._assign(target, self.tainted(value, inner), inner)
            return self.tainted(node.named_children[0], inner)
        for index, child in enumerate(node.named_children):
            field = node.field_name_for_named_child(index)
            if field and (kind, field) in self.grammar.not_references:
                continue
            if field == "function" and child.type in self.grammar.identifiers:
                continue
            if kind in ("call", "method_invocation") and field == "name":
                continue
            if self.tainted(child, state):
                return True
        return False
