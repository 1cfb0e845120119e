"""Building blocks of the in-process rules, each mirroring a Semgrep pattern operator.

- `argument_sinks` / `keyword_sinks`: `f($X, ...)` with `focus-metavariable: $X`;
- `call_at`, `is_call_to`: `pattern: f(...)` for a node (names resolved through imports);
- `has_keyword`, `keyword_is`: `f(..., k=$V, ...)` and `f(..., k=False, ...)`;
- `preceded_by`: `pattern-inside: | STATEMENT \n ...` (the node lies in a statement that
  follows, in the same block, a statement the predicate accepts);
- `inside`: `pattern-inside` of an enclosing construct;
- `deep_identifiers`: the expressions `<... $X ...>` can bind that are plain names;
- `int_value`: the value of an integer literal, for `metavariable-comparison`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable


def call_at(ctx, node):
    """The `Call` whose node is `node`, or None."""
    table = ctx.__dict__.get("_calls_by_node")
    if table is None:
        table = ctx.__dict__["_calls_by_node"] = {call.node.id: call for call in ctx.calls}
    return table.get(node.id)


def is_call_to(ctx, node, *patterns: str) -> bool:
    if node.type not in ctx.grammar.calls:
        return False
    call = call_at(ctx, node)
    if call is None:
        return False
    from safecoder.analysis.fast.context import _patterns

    compiled = _patterns(patterns)
    return bool(compiled.match(call.name) or compiled.match(call.raw_name))


def argument_sinks(*patterns: str, position: int = 0, keyword_is: tuple[str, str] | None = None,
                   exact: int | None = None):
    """Sinks: argument `position` of calls to `patterns`.

    `exact` is the argument count when the Semgrep pattern has no `...` (`f($X)` matches
    one-argument calls only); `keyword_is` (name, text) requires that keyword argument.
    """
    def sinks(ctx) -> Iterable:
        for call in ctx.calls_to(*patterns):
            if keyword_is is not None and not keyword_has_text(ctx, call, *keyword_is):
                continue
            positional = ctx.positional(call)
            if exact is not None and len(positional) + len(_keywords(ctx, call)) != exact:
                continue
            if position < 0 and positional:
                yield positional[position]
            elif 0 <= position < len(positional):
                yield positional[position]
    return sinks


def chain(*producers):
    """Several sink producers as one (Semgrep's `pattern-either` of sinks)."""
    def sinks(ctx) -> Iterable:
        for producer in producers:
            yield from producer(ctx)
    return sinks


def _keywords(ctx, call) -> dict:
    from safecoder.analysis.fast.calls import split_arguments

    return split_arguments(ctx, call)[1]


def keyword_has_text(ctx, call, name: str, text: str) -> bool:
    value = ctx.keyword(call, name)
    return value is not None and ctx.text(value) == text


def has_keyword(ctx, call, name: str) -> bool:
    return ctx.keyword(call, name) is not None


def int_value(ctx, node) -> int | None:
    if node is None:
        return None
    text = ctx.text(node).replace("_", "").rstrip("uUlL")
    try:
        return int(text, 0)
    except ValueError:
        return None


def statement_ancestors(node):
    """`node` and its ancestors, innermost first."""
    current = node
    while current is not None:
        yield current
        current = current.parent


def preceded_by(ctx, node, accept: Callable) -> bool:
    """True when some ancestor of `node` has an earlier sibling that `accept` takes."""
    for ancestor in statement_ancestors(node):
        sibling = ancestor.prev_named_sibling
        while sibling is not None:
            if accept(sibling):
                return True
            sibling = sibling.prev_named_sibling
    return False


def inside(ctx, node, accept: Callable) -> bool:
    """True when an ancestor of `node` (not `node` itself) is accepted."""
    current = node.parent
    while current is not None:
        if accept(current):
            return True
        current = current.parent
    return False


def contains(ctx, node, accept: Callable) -> bool:
    """True when `node` or any descendant is accepted."""
    if accept(node):
        return True
    return any(contains(ctx, child, accept) for child in node.named_children)


def deep_identifiers(ctx, node) -> Iterable:
    """Plain-name expressions inside `node` (not attribute or keyword names)."""
    if node is None:
        return
    if node.type in ctx.grammar.identifiers:
        yield node
        return
    for index, child in enumerate(node.named_children):
        field = node.field_name_for_named_child(index)
        if field and (node.type, field) in ctx.grammar.not_references:
            continue
        yield from deep_identifiers(ctx, child)


def any_identifier_matches(ctx, node, regex: str) -> bool:
    pattern = re.compile(regex)
    return any(pattern.search(ctx.text(name)) for name in deep_identifiers(ctx, node))


SQL_STATEMENT = re.compile(r"(?is)\b(select\b.*\bfrom|insert\b.*\binto|update\b.*\bset|delete\b.*\bfrom)\b")
SQL_CALLEE = re.compile(r"(?i)(quer|exec|sql|insert|update|delete|select|fetch|run|get|all|each|prepare|raw|find|db)")


def sql_string_built(ctx, node) -> bool:
    """Semgrep: `"$SQL" % $X`, `"$SQL".format(...)`, `"$SQL" + $X`, `$X + "$SQL"` with $SQL like SQL.

    Not `"..." + "..."`; `%` and `.format` only in Python.
    """
    from safecoder.analysis.fast.literals import _operands, is_literal, operator

    if node.type in ("binary_operator", "binary_expression"):
        op = operator(ctx, node)
        left, right = _operands(node)
        if op == "+":
            if is_literal(ctx, left) and is_literal(ctx, right):
                return False
            return any(side is not None and SQL_STATEMENT.search(ctx.string_value(side) or "")
                       for side in (left, right) if side is not None and side.type in ctx.grammar.strings)
        if op == "%" and ctx.language == "python":
            return left is not None and left.type == "string" and bool(SQL_STATEMENT.search(ctx.string_value(left) or ""))
        return False
    if node.type == "call" and ctx.language == "python":
        call = call_at(ctx, node)
        if call is not None and call.name.endswith(".format") and call.receiver is not None and \
                call.receiver.type == "string":
            return bool(SQL_STATEMENT.search(ctx.string_value(call.receiver) or ""))
    return False


def sql_helper_arguments(ctx) -> Iterable:
    """Semgrep: `$F(..., $Q, ...)` / `$O.$M(..., $Q, ...)` with `metavariable-regex` on the called
    name ($F a plain name, $M a method name), focused on each argument."""
    for call in ctx.calls:
        function = call.node.child_by_field_name("function")
        if function is None:
            continue
        if function.type in ctx.grammar.identifiers:
            name = ctx.text(function)
        elif function.type in ("attribute", "member_expression"):
            name = ctx.text(function.child_by_field_name("attribute" if function.type == "attribute" else "property"))
        else:
            continue
        if SQL_CALLEE.search(name):
            yield from ctx.positional(call)
