"""Calls and the names they call, per language, resolved through imports.

`collect_calls` lists every call of the file as a `Call` (node, dotted callee name,
receiver, argument list). Constructor calls are named `new <Type>` (JavaScript, Java) so
a rule can tell `new Foo(...)` from `Foo(...)`, as a Semgrep pattern does.
`split_arguments` separates positional arguments from keyword arguments (Python
`k=v`, Ruby `k: v`).
"""

from __future__ import annotations

from safecoder.analysis.fast.context import Call


def collect_calls(ctx) -> list[Call]:
    calls = []
    for node in ctx.nodes(*ctx.grammar.calls):
        call = _call(ctx, node)
        if call is not None:
            calls.append(call)
    return calls


def _call(ctx, node) -> Call | None:
    resolved = _resolved_call(ctx, node, True)
    if resolved is None:
        return None
    raw = _resolved_call(ctx, node, False) if ctx.imports else resolved
    return Call(resolved.node, resolved.name, resolved.receiver, resolved.arguments, raw.name if raw else "")


def _resolved_call(ctx, node, resolve: bool) -> Call | None:
    language, kind = ctx.language, node.type
    if kind in ("new_expression", "object_creation_expression"):
        target = node.child_by_field_name("constructor" if kind == "new_expression" else "type")
        if target is None:
            return None
        name = dotted_name(ctx, target, resolve) if kind == "new_expression" else _java_type(ctx, target, resolve)
        return Call(node, f"new {name}", None, node.child_by_field_name("arguments"))
    if language == "java":
        receiver = node.child_by_field_name("object")
        method = ctx.text(node.child_by_field_name("name"))
        prefix = f"{dotted_name(ctx, receiver, resolve)}." if receiver is not None else ""
        return Call(node, prefix + method, receiver, node.child_by_field_name("arguments"))
    if language == "ruby":
        receiver = node.child_by_field_name("receiver")
        method_node = node.child_by_field_name("method")
        if method_node is None:
            return None
        prefix = f"{dotted_name(ctx, receiver, resolve)}." if receiver is not None else ""
        return Call(node, prefix + ctx.text(method_node), receiver, node.child_by_field_name("arguments"))
    function = node.child_by_field_name("function")
    if function is None:
        return None
    receiver = None
    if function.type in ("attribute", "member_expression", "selector_expression", "field_expression"):
        receiver = function.named_children[0] if function.named_children else None
    return Call(node, dotted_name(ctx, function, resolve), receiver, node.child_by_field_name("arguments"))


def _java_type(ctx, node, resolve: bool = True) -> str:
    text = ctx.text(node)
    base = text.split("<", 1)[0].strip()
    return ctx.imports.get(base, base) if resolve else base


def dotted_name(ctx, node, resolve: bool = True) -> str:
    if node is None:
        return "?"
    kind = node.type
    if kind in ctx.grammar.identifiers or kind in ("constant", "type_identifier", "package_identifier", "this",
                                                   "self", "super"):
        text = ctx.text(node)
        return ctx.imports.get(text, text) if resolve else text
    if kind in ("attribute", "member_expression", "field_access", "selector_expression", "field_expression"):
        children = node.named_children
        if not children:
            return "?"
        inner = dotted_name(ctx, children[0], resolve)
        field = node.child_by_field_name({"attribute": "attribute", "member_expression": "property",
                                          "field_access": "field", "selector_expression": "field",
                                          "field_expression": "field"}[kind])
        return f"{inner}.{ctx.text(field) if field is not None else '?'}"
    if kind == "call" and ctx.language == "ruby":
        receiver = node.child_by_field_name("receiver")
        method = node.child_by_field_name("method")
        prefix = f"{dotted_name(ctx, receiver, resolve)}." if receiver is not None else ""
        return prefix + (ctx.text(method) if method is not None else "?")
    if kind == "scope_resolution":
        return ctx.text(node)
    if kind in ("call_expression", "call", "method_invocation"):
        if ctx.language == "javascript":
            from safecoder.analysis.fast.imports import _require_target

            required = _require_target(ctx, node)
            if required:
                return required
        return f"{_callee_name(ctx, node, resolve)}()"
    if kind in ("parenthesized_expression", "await_expression", "non_null_expression") and node.named_child_count:
        return dotted_name(ctx, node.named_children[0], resolve)
    return "?"


def _callee_name(ctx, node, resolve: bool) -> str:
    call = _resolved_call(ctx, node, resolve)
    return call.name if call is not None else "?"


def split_arguments(ctx, call: Call) -> tuple[list, dict]:
    return _split_cached(ctx, call.node.id, call.arguments)


def _split_cached(ctx, node_id, arguments) -> tuple[list, dict]:
    cache = ctx.__dict__.setdefault("_argument_cache", {})
    if node_id in cache:
        return cache[node_id]
    positional, keywords = [], {}
    if arguments is not None:
        for child in arguments.named_children:
            if child.type in ctx.grammar.comments:
                continue
            if child.type == "keyword_argument":
                keywords[ctx.text(child.child_by_field_name("name"))] = child.child_by_field_name("value")
            elif child.type == "pair" and ctx.language == "ruby":
                key = child.child_by_field_name("key")
                keywords[ctx.text(key).strip(":\"'")] = child.child_by_field_name("value")
            elif child.type in ("block_argument", "block", "do_block"):
                continue
            else:
                positional.append(child)
    cache[node_id] = (positional, keywords)
    return positional, keywords

