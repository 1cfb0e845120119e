"""In-process twins of the Go Semgrep rules (rules/semgrep/cwe-*.yaml, `languages: [go]`).

Each function carries the id of its Semgrep twin and yields the nodes where that rule
fires; its comment names the Semgrep construct it mirrors.
"""

from __future__ import annotations

import re

from safecoder.analysis.fast.operators import (
    argument_sinks,
    call_at,
    chain,
    inside,
    int_value,
    is_call_to,
    preceded_by,
)
from safecoder.analysis.fast.registry import rule
from safecoder.analysis.fast.taint import TaintSpec, tainted_sinks

LANGUAGE = "go"


def _field(ctx, node) -> str:
    field = node.child_by_field_name("field") if node is not None and node.type == "selector_expression" else None
    return ctx.text(field) if field is not None else ""


def _operand(node):
    return node.child_by_field_name("operand") if node is not None else None


def request_input(ctx, node) -> bool:
    """Semgrep: `$R.Form`, `$R.PostForm`, `$R.URL.Query()`, `$R.URL.RawQuery`, `$R.URL.Path`,
    `$R.FormValue(...)`, `$R.PostFormValue(...)`, `$R.Header.Get(...)`."""
    if node.type == "selector_expression":
        field = _field(ctx, node)
        return field in ("Form", "PostForm") or (field in ("RawQuery", "Path") and _field(ctx, _operand(node)) == "URL")
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        field = _field(ctx, function)
        if field in ("FormValue", "PostFormValue"):
            return True
        if field == "Query" and _field(ctx, _operand(function)) == "URL":
            return not ctx.positional(call_at(ctx, node))
        return field == "Get" and _field(ctx, _operand(function)) == "Header"
    return False


# --- CWE-079 ---------------------------------------------------------------------------------------

@rule("cwe-079-go-reflected-xss", LANGUAGE)
def reflected_xss(ctx):
    def sinks(ctx):
        for call in ctx.calls_to("fmt.Fprintf", "fmt.Fprint", "fmt.Fprintln", "io.WriteString", "*.Write"):
            arguments = ctx.positional(call)
            if call.name.endswith(".Write") and not call.name.startswith("io."):
                if call.receiver is not None:
                    yield call.node
                continue
            if not arguments:
                continue
            if call.name.startswith("fmt.") and ctx.text(arguments[0]) in ("os.Stdout", "os.Stderr"):
                continue
            yield call.node
    spec = TaintSpec(sinks=sinks, is_source=request_input,
                     is_sanitizer=lambda c, n: is_call_to(c, n, "html.EscapeString", "template.HTMLEscapeString",
                                                          "url.QueryEscape", "strconv.Itoa"))
    return tainted_sinks(ctx, spec)


# --- CWE-089 ---------------------------------------------------------------------------------------

@rule("cwe-089-go-built-query", LANGUAGE)
def built_query(ctx):
    sinks = chain(argument_sinks("*.Query", "*.QueryRow", "*.Exec"),
                  argument_sinks("*.Prepare", exact=1),
                  argument_sinks("*.QueryContext", "*.QueryRowContext", "*.ExecContext", position=1))
    spec = TaintSpec(sinks=sinks, is_source=lambda c, n: c.is_built_string(n) or request_input(c, n))
    return tainted_sinks(ctx, spec)


# --- CWE-295 ---------------------------------------------------------------------------------------

def _keyed(ctx, literal, key: str):
    body = literal.child_by_field_name("body")
    for element in body.named_children if body is not None else ():
        if element.type == "keyed_element" and len(element.named_children) == 2 and \
                ctx.text(element.named_children[0]) == key:
            yield element.named_children[1]


@rule("cwe-295-go-insecure-skip-verify", LANGUAGE)
def insecure_skip_verify(ctx):
    for literal in ctx.nodes("composite_literal"):
        if any(ctx.text(value) == "true" for value in _keyed(ctx, literal, "InsecureSkipVerify")):
            yield literal
    for assignment in ctx.nodes("assignment_statement"):
        left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        if left is not None and right is not None and len(left.named_children) == 1 and \
                _field(ctx, left.named_children[0]) == "InsecureSkipVerify" and ctx.text(right) == "true":
            yield assignment


# --- CWE-326 ---------------------------------------------------------------------------------------

@rule("cwe-326-go-weak-rsa-key", LANGUAGE)
def weak_rsa_key(ctx):
    for call in ctx.calls_to("rsa.GenerateKey"):
        arguments = ctx.positional(call)
        value = int_value(ctx, arguments[1]) if len(arguments) == 2 and arguments[1].type == "int_literal" else None
        if value is not None and value < 2048:
            yield call.node


# --- CWE-327 ---------------------------------------------------------------------------------------

_OLD_TLS = re.compile(r"^(tls\.)?Version(SSL30|TLS10|TLS11)$")


@rule("cwe-327-go-weak-tls-version", LANGUAGE)
def weak_tls_version(ctx):
    for assignment in ctx.nodes("assignment_statement"):
        left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        if left is None or right is None or len(left.named_children) != 1:
            continue
        if _field(ctx, left.named_children[0]) in ("MinVersion", "MaxVersion") and _OLD_TLS.match(ctx.text(right)):
            yield assignment
    for literal in ctx.nodes("composite_literal"):
        for key in ("MinVersion", "MaxVersion"):
            if any(_OLD_TLS.match(ctx.text(value)) for value in _keyed(ctx, literal, key)):
                yield literal
                break


@rule("cwe-327-go-weak-crypto", LANGUAGE)
def weak_crypto(ctx):
    for call in ctx.calls_to("md5.New", "sha1.New"):
        if not ctx.positional(call):
            yield call.node
    yield from (call.node for call in ctx.calls_to("md5.Sum", "sha1.Sum", "des.NewCipher", "des.NewTripleDESCipher",
                                                   "rc4.NewCipher"))


# --- CWE-681 ---------------------------------------------------------------------------------------

_NARROW = {"wide": ("int32", "int16", "int8", "uint32", "uint16", "uint8"), "32": ("int16", "int8", "uint16", "uint8")}


@rule("cwe-681-go-narrowing-conversion", LANGUAGE)
def narrowing_conversion(ctx):
    for call in ctx.calls:
        if call.name not in _NARROW["wide"]:
            continue
        arguments = ctx.positional(call)
        if len(arguments) != 1 or arguments[0].type != "identifier":
            continue
        name = ctx.text(arguments[0])
        widths = set()
        preceded_by(ctx, call.node, lambda s, name=name, widths=widths: _collect_parse(ctx, s, name, widths))
        if not any(call.name in _NARROW[width] for width in widths):
            continue
        if not _range_guarded(ctx, call.node, name):
            yield call.node


def _collect_parse(ctx, statement, name: str, widths: set) -> bool:
    if statement.type not in ("short_var_declaration", "assignment_statement"):
        return False
    left, right = statement.child_by_field_name("left"), statement.child_by_field_name("right")
    if left is None or right is None or len(left.named_children) != 2 or len(right.named_children) != 1:
        return False
    if ctx.text(left.named_children[0]) != name or right.named_children[0].type != "call_expression":
        return False
    call = call_at(ctx, right.named_children[0])
    arguments = ctx.positional(call) if call is not None else []
    if call is None:
        return False
    if call.raw_name == "strconv.Atoi" and len(arguments) == 1:
        widths.add("wide")
    elif re.match(r"^strconv\.\w+$", call.raw_name) and len(arguments) == 3:
        bits = ctx.text(arguments[2])
        if bits == "64":
            widths.add("wide")
        elif bits == "32":
            widths.add("32")
    return False  # keep looking: every earlier parse of the name counts


def _range_guarded(ctx, node, name: str) -> bool:
    def compares(candidate) -> bool:
        if candidate.type == "binary_expression":
            op = ctx.text(candidate.child_by_field_name("operator"))
            left, right = candidate.child_by_field_name("left"), candidate.child_by_field_name("right")
            if op in (">", "<", ">=", "<=") and name in (ctx.text(left), ctx.text(right)):
                return True
        return any(compares(child) for child in candidate.named_children)

    def is_guard(candidate) -> bool:
        if candidate.type != "if_statement":
            return False
        condition = candidate.child_by_field_name("condition")
        return condition is not None and compares(condition)
    return preceded_by(ctx, node, is_guard) or inside(ctx, node, is_guard)
