"""Constant values versus strings built at run time, per language.

- `is_literal`: a constant made only of literals (strings without interpolation, numbers,
  booleans, null) joined by `+` or parentheses, e.g. `"a" "b"`, `"x" + "y"`.
- `is_built_string`: a string assembled from something that is not a literal: an
  f-string or template with a substitution, `"..." + x`, `"..." % x`, `"...".format(x)`,
  `fmt.Sprintf("...", x)`, `String.format(...)`, Ruby `"#{x}"` or `format(...)`. These
  are the forms the injection rules (SQL, shell, HTML) treat as query construction.
- `string_value`: the text of a plain string literal, without quotes (None otherwise).
"""

from __future__ import annotations

import ast

_CONSTANTS = frozenset({
    "integer", "float", "true", "false", "none", "None", "number", "null", "undefined", "int_literal",
    "float_literal", "decimal_integer_literal", "hex_integer_literal", "decimal_floating_point_literal",
    "nil", "number_literal", "char_literal", "character_literal", "rune_literal", "simple_symbol",
})
_PLUS = ("binary_operator", "binary_expression", "binary")


def operator(ctx, node) -> str:
    op = node.child_by_field_name("operator")
    if op is not None:
        return ctx.text(op)
    for child in node.children:
        if not child.is_named:
            return ctx.text(child)
    return ""


def is_literal(ctx, node) -> bool:
    if node is None:
        return False
    kind = node.type
    if kind in ctx.grammar.strings:
        return not any(_interpolations(ctx, node))
    if kind in _CONSTANTS:
        return True
    if kind in ("parenthesized_expression",) and node.named_child_count == 1:
        return is_literal(ctx, node.named_children[0])
    if kind in _PLUS and operator(ctx, node) == "+":
        left, right = _operands(node)
        return is_literal(ctx, left) and is_literal(ctx, right)
    if kind == "unary_operator" or kind == "unary_expression":
        return node.named_child_count == 1 and is_literal(ctx, node.named_children[0])
    return False


def _operands(node):
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if left is None or right is None:
        children = node.named_children
        left, right = (children[0], children[-1]) if len(children) >= 2 else (None, None)
    return left, right


def _interpolations(ctx, node):
    if ctx.language == "python" and node.type == "concatenated_string":
        for part in node.named_children:
            yield from _interpolations(ctx, part)
        return
    for child in node.named_children:
        if child.type in ctx.grammar.interpolations:
            yield child


def is_stringish(ctx, node) -> bool:
    """A string literal, interpolated string, or something built from one."""
    return node is not None and (node.type in ctx.grammar.strings or is_built_string(ctx, node))


def is_built_string(ctx, node) -> bool:
    if node is None:
        return False
    kind = node.type
    if kind == "parenthesized_expression" and node.named_child_count == 1:
        return is_built_string(ctx, node.named_children[0])
    if kind in ctx.grammar.strings:
        return any(_interpolations(ctx, node))
    if kind in _PLUS:
        op = operator(ctx, node)
        left, right = _operands(node)
        if op == "+":
            stringish = is_stringish(ctx, left) or is_stringish(ctx, right)
            return stringish and not (is_literal(ctx, left) and is_literal(ctx, right))
        if op == "%" and ctx.language in ("python", "ruby"):
            return left is not None and left.type in ctx.grammar.strings and not is_literal(ctx, right)
        return False
    if kind in ctx.grammar.calls:
        return _is_format_call(ctx, node)
    return False


def _is_format_call(ctx, node) -> bool:
    from safecoder.analysis.fast.calls import _call, split_arguments

    call = _call(ctx, node)
    if call is None:
        return False
    positional, keywords = split_arguments(ctx, call)
    values = positional + list(keywords.values())
    if ctx.language == "python" and call.name.endswith(".format") and call.receiver is not None:
        return call.receiver.type in ctx.grammar.strings and any(not is_literal(ctx, v) for v in values)
    if ctx.language == "go" and call.name == "fmt.Sprintf":
        return len(positional) > 1  # Semgrep: `fmt.Sprintf($F, $X, ...)`
    if ctx.language == "java" and call.name in ("String.format", "java.lang.String.format"):
        return any(not is_literal(ctx, v) for v in positional[1:])
    if ctx.language == "ruby" and call.name in ("format", "sprintf", "Kernel.format"):
        return any(not is_literal(ctx, v) for v in positional[1:])
    if ctx.language in ("javascript", "java") and call.name.endswith(".concat") and call.receiver is not None:
        return call.receiver.type in ctx.grammar.strings and any(not is_literal(ctx, v) for v in positional)
    return False


def string_value(ctx, node) -> str | None:
    """The value of a plain string literal (no interpolation), else None."""
    if node is None or node.type not in ctx.grammar.strings or any(_interpolations(ctx, node)):
        return None
    if ctx.language == "python" and node.type == "concatenated_string":
        return _joined([string_value(ctx, part) for part in node.named_children])
    text = ctx.text(node)
    if ctx.language == "python":
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, str) else None
    if ctx.language == "c" and node.type == "concatenated_string":
        return _joined([string_value(ctx, part) for part in node.named_children if part.type == "string_literal"])
    for quote in ('"""', "'''", '"', "'", "`"):
        if len(text) >= 2 * len(quote) and text.startswith(quote) and text.endswith(quote):
            return text[len(quote):-len(quote)]
    return text


def _joined(parts: list[str | None]) -> str | None:
    """The parts of a concatenated literal joined, or None when one is not a plain string."""
    strings = [part for part in parts if part is not None]
    return "".join(strings) if len(strings) == len(parts) else None
