"""In-process twins of the Ruby Semgrep rules (rules/semgrep/cwe-*.yaml, `languages: [ruby]`).

Each function carries the id of its Semgrep twin and yields the nodes where that rule
fires; its comment names the Semgrep construct it mirrors.
"""

from __future__ import annotations

import re

from safecoder.analysis.fast.operators import (
    argument_sinks,
    chain,
    inside,
    is_call_to,
    keyword_has_text,
    preceded_by,
)
from safecoder.analysis.fast.registry import rule
from safecoder.analysis.fast.taint import TaintSpec, tainted_sinks

LANGUAGE = "ruby"
_METHODS = frozenset({"method"})


def request_data(ctx, node) -> bool:
    """Semgrep: `params`, `cookies`, `request.$A`."""
    if node.type == "identifier":
        return ctx.text(node) in ("params", "cookies")
    if node.type == "call":
        receiver = node.child_by_field_name("receiver")
        return receiver is not None and receiver.type == "identifier" and ctx.text(receiver) == "request"
    return False


def _receiverless(ctx, *names: str, exact: int | None = None):
    """Sinks: the first argument of `name(...)` called without a receiver."""
    def sinks(ctx):
        for call in ctx.calls:
            if call.receiver is None and call.name in names:
                arguments = ctx.positional(call)
                if arguments and (exact is None or len(arguments) == exact):
                    yield arguments[0]
    return sinks


# --- CWE-022 ---------------------------------------------------------------------------------------

_FILE_METHODS = ("read|open|new|readlines|binread|write|binwrite|foreach|delete|unlink|rm|rm_f|rm_rf|cp|mv")


@rule("cwe-022-ruby-path-traversal", LANGUAGE)
def path_traversal(ctx):
    pattern = re.compile(rf"^(File|IO|FileUtils)\.({_FILE_METHODS})$")

    def file_sinks(ctx):
        for call in ctx.calls:
            arguments = ctx.positional(call)
            if arguments and pattern.match(call.name):
                yield arguments[0]
            elif call.receiver is None and call.name == "render" and ctx.keyword(call, "file") is not None:
                yield ctx.keyword(call, "file")

    def unguarded(ctx):
        return (node for node in chain(file_sinks, _receiverless(ctx, "send_file"))(ctx)
                if not _containment_checked(ctx, node))
    spec = TaintSpec(sinks=unguarded, is_source=request_data,
                     is_sanitizer=lambda c, n: is_call_to(c, n, "File.basename"))
    return tainted_sinks(ctx, spec)


def _start_with_check(ctx, node) -> bool:
    """Semgrep: `$A.start_with?(...)` as the whole condition."""
    condition = node.child_by_field_name("condition")
    if condition is None or condition.type != "call" or condition.child_by_field_name("receiver") is None:
        return False
    method = condition.child_by_field_name("method")
    return method is not None and ctx.text(method) == "start_with?"


def _containment_checked(ctx, node) -> bool:
    """Semgrep's `pattern-not-inside`: `$S unless $A.start_with?(...)` or an `unless $A.start_with?(...)`
    block before the access (or around it), or an `if $A.start_with?(...)` block around it."""
    def before(candidate) -> bool:
        return candidate.type in ("unless_modifier", "unless") and _start_with_check(ctx, candidate)

    def around(candidate) -> bool:
        return candidate.type in ("unless_modifier", "unless", "if") and _start_with_check(ctx, candidate)
    return preceded_by(ctx, node, before) or inside(ctx, node, around)


# --- CWE-078 ---------------------------------------------------------------------------------------

@rule("cwe-078-ruby-shell-command", LANGUAGE)
def shell_command(ctx):
    def backticks(ctx):
        yield from ctx.nodes("subshell")
    sinks = chain(_receiverless(ctx, "system", "exec", "spawn", exact=1),
                  _receiverless(ctx, "open"),
                  argument_sinks("IO.popen"),
                  argument_sinks("Open3.*", "Kernel.system", "Kernel.exec", "Kernel.spawn", "Process.spawn",
                                 "PTY.spawn", exact=1),
                  backticks)
    spec = TaintSpec(sinks=sinks, is_source=request_data,
                     is_sanitizer=lambda c, n: is_call_to(c, n, "Shellwords.escape", "Shellwords.shellescape",
                                                          "*.shellescape"),
                     parameters_are_sources=True, parameter_functions=_METHODS)
    return tainted_sinks(ctx, spec)


_SHELL_CALLS = ("Kernel.system", "Kernel.exec", "Kernel.spawn", "Process.spawn", "PTY.spawn", "IO.popen", "Open3.*")


@rule("cwe-078-ruby-heredoc-command", LANGUAGE)
def heredoc_command(ctx):
    """Semgrep's pattern-regex: a shell-running call whose first argument opens an interpolating
    heredoc (or calls a method on one, `<<~CMD.strip`) whose body interpolates anything but
    Shellwords.escape(...), x.shellescape or a constant; and a backtick heredoc (<<~`CMD`), a
    command itself, with such a body. tree-sitter keeps the body apart from the opening
    (inside the argument list or after the statement); bodies follow their openings in
    order, so the n-th heredoc_beginning owns the n-th heredoc_body."""
    openings = ctx.nodes("heredoc_beginning")
    bodies = dict(zip((node.start_byte for node in openings), ctx.nodes("heredoc_body"), strict=False))
    for opening in openings:
        body = bodies.get(opening.start_byte)
        if "`" in ctx.text(opening) and body is not None and _interpolates_unescaped(ctx, body):
            yield opening
    for call in ctx.calls:
        if not ((call.receiver is None and call.name in ("system", "exec", "spawn"))
                or is_call_to(ctx, call.node, *_SHELL_CALLS)):
            continue
        arguments = ctx.positional(call)
        opening = arguments[0] if arguments else None
        while opening is not None and opening.type == "call":
            opening = opening.child_by_field_name("receiver")
        body = bodies.get(opening.start_byte) if opening is not None and opening.type == "heredoc_beginning" else None
        if body is not None and _interpolates_unescaped(ctx, body):
            yield call.node


def _interpolates_unescaped(ctx, body) -> bool:
    return any(part.type == "interpolation" and not _escaped_or_constant(ctx, part) for part in body.named_children)


def _escaped_or_constant(ctx, interpolation) -> bool:
    inner = interpolation.named_children
    if len(inner) != 1:
        return False
    value = inner[0]
    return value.type in ("constant", "scope_resolution") or is_call_to(
        ctx, value, "Shellwords.escape", "Shellwords.shellescape", "*.shellescape")


# --- CWE-079 ---------------------------------------------------------------------------------------

@rule("cwe-079-ruby-unsafe-html", LANGUAGE)
def unsafe_html(ctx):
    def sinks(ctx):
        for call in ctx.calls:
            if call.receiver is not None and call.name.endswith(".html_safe") and call.arguments is None:
                yield call.receiver
        yield from _receiverless(ctx, "raw", exact=1)(ctx)
        for call in ctx.calls:
            if call.receiver is None and call.name == "render" and ctx.keyword(call, "inline") is not None:
                yield ctx.keyword(call, "inline")
    spec = TaintSpec(sinks=sinks, is_source=request_data,
                     is_sanitizer=lambda c, n: is_call_to(c, n, "ERB::Util.html_escape", "ERB::Util.h",
                                                          "CGI.escapeHTML", "Rack::Utils.escape_html") or (
                         n.type == "call" and n.child_by_field_name("receiver") is None
                         and c.text(n.child_by_field_name("method")) in ("h", "html_escape", "sanitize")),
                     parameters_are_sources=True, parameter_functions=_METHODS)
    return tainted_sinks(ctx, spec)


# --- CWE-089 ---------------------------------------------------------------------------------------

_QUERY_METHODS = re.compile(r"^(where|not|find_by_sql|order|group|having|joins|select|pluck|exists\?|execute"
                            r"|exec_query|count_by_sql|from|delete_all|update_all|find_by|lock|reorder|select_all"
                            r"|select_one|select_value|select_values|select_rows|exec_update|exec_delete|exec_insert"
                            r"|exec|async_exec|query|get_first_row|get_first_value)$")


@rule("cwe-089-ruby-built-query", LANGUAGE)
def built_query(ctx):
    def sinks(ctx):
        for call in ctx.calls:
            arguments = ctx.positional(call)
            if call.receiver is not None and arguments and _QUERY_METHODS.match(call.name.rsplit(".", 1)[-1]) \
                    and not _prepared_statement(ctx, call):
                yield arguments[0]
    spec = TaintSpec(sinks=sinks, is_source=request_data, is_sanitizer=_sql_sanitizer,
                     parameters_are_sources=True, parameter_functions=_METHODS)
    return tainted_sinks(ctx, spec)


def _prepared_statement(ctx, call) -> bool:
    """Semgrep: `pattern-not-inside: $M = $C.prepare(...) ...` (the receiver holds a prepared statement)."""
    name = ctx.text(call.receiver)

    def prepares(statement) -> bool:
        if statement.type != "assignment":
            return False
        left, right = statement.child_by_field_name("left"), statement.child_by_field_name("right")
        if left is None or right is None or ctx.text(left) != name or right.type != "call":
            return False
        method = right.child_by_field_name("method")
        return right.child_by_field_name("receiver") is not None and method is not None and \
            ctx.text(method) == "prepare"
    return preceded_by(ctx, call.node, prepares)


def _sql_sanitizer(ctx, node) -> bool:
    """Semgrep: `$X.to_i`, `$X.to_f`, `Integer(...)`, `Float(...)`, `BigDecimal(...)`, `BigDecimal.new(...)`,
    `sanitize_sql(...)`, `sanitize_sql_array(...)`, `$C.quote(...)`."""
    if node.type != "call":
        return False
    method = ctx.text(node.child_by_field_name("method")) if node.child_by_field_name("method") else ""
    receiver = node.child_by_field_name("receiver")
    if receiver is not None:
        return (method in ("to_i", "to_f") and node.child_by_field_name("arguments") is None) or \
            method == "quote" or ctx.text(node).startswith("BigDecimal.new")
    return method in ("Integer", "Float", "BigDecimal", "sanitize_sql", "sanitize_sql_array")


# --- CWE-116 ---------------------------------------------------------------------------------------

_META_REPLACEMENT = re.compile(r"""^(["'](\\\\|\\?['"<>&])["']|/\\?['"<>&]/[imx]*)$""")
_QUOTE = re.compile(r"""^["']\\?['"]["']$""")
_QUOTES = re.compile(r"""^["'](\\?['"]){2,}["']$""")


@rule("cwe-116-ruby-incomplete-sanitization", LANGUAGE)
def incomplete_sanitization(ctx):
    for call in ctx.calls:
        arguments = ctx.positional(call)
        method = call.name.rsplit(".", 1)[-1]
        if call.receiver is None or len(arguments) != 2:
            continue
        if method in ("sub", "sub!") and _META_REPLACEMENT.match(ctx.text(arguments[0])):
            yield call.node
        elif method in ("tr", "tr!") and _QUOTE.match(ctx.text(arguments[0])) and _QUOTES.match(ctx.text(arguments[1])):
            yield call.node  # String#tr maps one character to one: it cannot double a quote


# --- CWE-502 ---------------------------------------------------------------------------------------

@rule("cwe-502-ruby-unsafe-deserialization", LANGUAGE)
def unsafe_deserialization(ctx):
    return [call.node for call in ctx.calls_to(
        "YAML.unsafe_load", "YAML.load_documents", "Psych.unsafe_load", "Marshal.load",
        "Marshal.restore", "JSON.load", "JSON.restore", "Oj.load", "Oj.object_load")] + [
        call.node for call in ctx.calls_to("JSON.parse") if keyword_has_text(ctx, call, "create_additions", "true")]


@rule("cwe-502-ruby-yaml-load", LANGUAGE)
def yaml_load(ctx):
    """Semgrep: `YAML.load(...)`, `Psych.load(...)` (unsafe only with Psych < 4, hence a warning)."""
    return [call.node for call in ctx.calls_to("YAML.load", "Psych.load")]
