"""Checks that guard a sink: Semgrep's `pattern-not-inside: if <... C ...>: ... \\n ...`.

A sink is guarded when it lies inside an `if` statement whose condition contains an
accepted expression, or follows such an `if` in the same block or an enclosing one (the
early-return form `if not ok: raise ...`). What the condition must contain is the
rule's: a containment check for paths (`startswith`, `commonpath`, `is_relative_to`,
`".." in name`), a membership test for allow-lists (`host in ALLOWED`).

Like Semgrep, this does not check that the condition is about the sink's value or that
the guarded branch really stops: any such check in the way counts.
"""

from __future__ import annotations

from collections.abc import Callable

from safecoder.analysis.fast.operators import contains, preceded_by

_IF_TYPES = frozenset({"if_statement", "if", "unless"})


def _condition(node):
    return node.child_by_field_name("condition") if node.type in _IF_TYPES else None


def guarded(ctx, node, accepts: Callable) -> bool:
    """True when an `if` whose condition contains a node `accepts` takes encloses or precedes `node`."""
    def checking_if(candidate) -> bool:
        condition = _condition(candidate)
        return condition is not None and contains(ctx, condition, accepts)

    current = node.parent
    while current is not None:
        if checking_if(current):
            return True
        current = current.parent
    return preceded_by(ctx, node, checking_if)


def membership_test(ctx, node, operators: tuple[str, ...] = ("in", "not in")) -> bool:
    """Python `$A in $B` / `$A not in $B`."""
    if node.type != "comparison_operator":
        return False
    return any(not child.is_named and ctx.text(child) in operators for child in node.children)
