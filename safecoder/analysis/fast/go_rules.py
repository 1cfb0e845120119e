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
    `$R.FormValue(...)`, `$R.PostFormValue(...)`, `$R.Header.Get(...)`, `$R.PathValue(...)`,
    `mux.Vars($R)`."""
    if node.type == "selector_expression":
        field = _field(ctx, node)
        return field in ("Form", "PostForm") or (field in ("RawQuery", "Path") and _field(ctx, _operand(node)) == "URL")
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        field = _field(ctx, function)
        if field in ("FormValue", "PostFormValue", "PathValue"):
            return True
        if ctx.text(function) == "mux.Vars":
            return len(ctx.positional(call_at(ctx, node))) == 1
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
        yield from (call.node for call in ctx.calls if call.raw_name == "template.HTML")
    spec = TaintSpec(sinks=sinks, is_source=request_input,
                     is_sanitizer=lambda c, n: is_call_to(c, n, "html.EscapeString", "template.HTMLEscapeString",
                                                          "url.QueryEscape", "strconv.Itoa"))
    return tainted_sinks(ctx, spec)


# --- CWE-089 ---------------------------------------------------------------------------------------

@rule("cwe-089-go-built-query", LANGUAGE)
def built_query(ctx):
    sinks = chain(argument_sinks("*.Query", "*.QueryRow", "*.Exec", "*.Queryx", "*.QueryRowx", "*.MustExec", "*.Raw",
                                 "*.Where"),
                  argument_sinks("*.Prepare", exact=1),
                  argument_sinks("*.QueryContext", "*.QueryRowContext", "*.ExecContext", position=1),
                  _destination_query_sinks)
    spec = TaintSpec(sinks=sinks, is_source=lambda c, n: c.is_built_string(n) or request_input(c, n))
    return tainted_sinks(ctx, spec)


def _destination_query_sinks(ctx):
    """Semgrep: `$DB.Select(&$DEST, $Q, ...)`, `$DB.Get(&$DEST, $Q, ...)` (sqlx), focused on $Q."""
    for call in ctx.calls_to("*.Select", "*.Get"):
        arguments = ctx.positional(call)
        if call.receiver is not None and len(arguments) >= 2 and arguments[0].type == "unary_expression" and \
                ctx.text(arguments[0]).startswith("&") and \
                arguments[0].named_children and arguments[0].named_children[0].type == "identifier":
            yield arguments[1]


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
        value = constant_int(ctx, arguments[1]) if len(arguments) == 2 else None
        if value is not None and value < 2048:
            yield call.node


def constant_int(ctx, node) -> int | None:
    """An integer literal's value, or that of a name Semgrep's constant propagation resolves:
    a local assigned an integer literal once in the function (`bits := 512`, `var bits = 512`)
    or a package-level `const`."""
    if node.type == "int_literal":
        return int_value(ctx, node)
    if node.type != "identifier":
        return None
    name = ctx.text(node)
    function = ctx.enclosing_function(node)
    if function is not None:
        values = list(_local_assignments(ctx, function, name))
        if values:
            return int_value(ctx, values[0]) if len(values) == 1 and values[0].type == "int_literal" else None
    for spec in ctx.nodes("const_spec"):
        if ctx.enclosing_function(spec) is None and [ctx.text(n) for n in spec.children_by_field_name("name")] == [name]:
            value = spec.child_by_field_name("value")
            literals = value.named_children if value is not None else []
            if len(literals) == 1 and literals[0].type == "int_literal":
                return int_value(ctx, literals[0])
    return None


def _local_assignments(ctx, function, name: str):
    """The values assigned to `name` in `function` (a `var` without a value or `x++` counts as unknown)."""
    for node in ctx.nodes("short_var_declaration", "assignment_statement", "var_spec", "inc_statement",
                          "dec_statement"):
        if ctx.enclosing_function(node) != function:
            continue
        if node.type in ("inc_statement", "dec_statement"):
            if ctx.text(node.named_children[0]) == name:
                yield node
            continue
        if node.type == "var_spec":
            names = [ctx.text(n) for n in node.children_by_field_name("name")]
            value = node.child_by_field_name("value")
            if name in names:
                yield value.named_children[names.index(name)] if value is not None and \
                    len(value.named_children) == len(names) else node
            continue
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            continue
        targets = [ctx.text(n) for n in left.named_children]
        if name in targets:
            yield right.named_children[targets.index(name)] if len(right.named_children) == len(targets) else node


# --- CWE-327 ---------------------------------------------------------------------------------------

# Named versions below TLS 1.2, or integer literals 1..0x0302 (TLS 1.2 is 0x0303; 0 is Go's
# default, not a choice), as the Semgrep rule's metavariable-regex.
_OLD_TLS = re.compile(r"^((tls\.)?Version(SSL30|TLS10|TLS11)|0[xX]0*([1-9a-fA-F][0-9a-fA-F]?|[12][0-9a-fA-F]{2}"
                      r"|30[0-2])|[1-9][0-9]?|[1-6][0-9]{2}|7[0-6][0-9]|770)$")


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


_INSECURE_SUITES = re.compile(
    r"^TLS_(RSA_WITH_RC4_128_SHA|RSA_WITH_3DES_EDE_CBC_SHA|RSA_WITH_AES_128_CBC_SHA256|ECDHE_ECDSA_WITH_RC4_128_SHA"
    r"|ECDHE_RSA_WITH_RC4_128_SHA|ECDHE_RSA_WITH_3DES_EDE_CBC_SHA|ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"
    r"|ECDHE_RSA_WITH_AES_128_CBC_SHA256)$")


@rule("cwe-327-go-insecure-cipher-suite", LANGUAGE)
def insecure_cipher_suite(ctx):
    """Semgrep: `tls.$SUITE` inside `$T{..., CipherSuites: $L, ...}` or `$C.CipherSuites = $L`."""
    lists = [value for literal in ctx.nodes("composite_literal") for value in _keyed(ctx, literal, "CipherSuites")]
    for assignment in ctx.nodes("assignment_statement"):
        left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        if left is not None and right is not None and len(left.named_children) == 1 and \
                _field(ctx, left.named_children[0]) == "CipherSuites":
            lists.append(right)
    seen = set()
    for suites in lists:
        for node in _descendants(suites):
            if node.type == "selector_expression" and node.id not in seen and \
                    ctx.text(_operand(node)) == "tls" and _INSECURE_SUITES.match(_field(ctx, node)):
                seen.add(node.id)
                yield node


def _descendants(node):
    yield node
    for child in node.named_children:
        yield from _descendants(child)


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
        if bits in ("64", "0"):
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
