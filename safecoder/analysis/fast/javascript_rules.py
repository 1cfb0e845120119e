"""In-process twins of the JavaScript Semgrep rules (rules/semgrep/cwe-*.yaml, `languages: [javascript]`).

Each function carries the id of its Semgrep twin and yields the nodes where that rule
fires; its comment names the Semgrep construct it mirrors.
"""

from __future__ import annotations

import re

from safecoder.analysis.fast.guards import guarded
from safecoder.analysis.fast.literals import _operands, operator
from safecoder.analysis.fast.operators import (
    any_identifier_matches,
    argument_sinks,
    call_at,
    chain,
    inside,
    is_call_to,
    preceded_by,
    sql_helper_arguments,
    sql_string_built,
)
from safecoder.analysis.fast.registry import rule
from safecoder.analysis.fast.taint import TaintSpec, tainted_sinks

LANGUAGE = "javascript"

# Semgrep: `req.$A`, `request.query`, ..., `document.location`, `location.hash`, ...
_USER_INPUT_MEMBERS = {
    "request.query", "request.params", "request.body", "document.location", "window.location", "location.href",
    "location.search", "location.hash", "document.URL", "document.documentURI", "document.referrer",
    "document.cookie", "window.name",
}
_FUNCTIONS_WITH_SOURCE_PARAMETERS = frozenset({"function_declaration", "function_expression", "function",
                                               "arrow_function"})


def user_input(ctx, node) -> bool:
    if node.type != "member_expression":
        return False
    obj = node.child_by_field_name("object")
    if obj is not None and obj.type == "identifier" and ctx.text(obj) == "req":
        return True
    return ctx.text(node) in _USER_INPUT_MEMBERS


def built_or_user_input(ctx, node) -> bool:
    return ctx.is_built_string(node) or user_input(ctx, node)


def name_matches(regex: str, anchored: bool = False):
    """Semgrep `pattern: $S(...)` with `metavariable-regex` on `$S` (`anchored`: matched from the start, as
    Semgrep does; the older rules' regexes are searched)."""
    compiled = re.compile(regex)

    def accept(ctx, node) -> bool:
        if node.type not in ("call_expression",):
            return False
        function = node.child_by_field_name("function")
        if function is None:
            return False
        text = ctx.text(function)
        return bool(compiled.match(text) if anchored else compiled.search(text))
    return accept


def parameters_in_scope(ctx, node) -> set[str]:
    """Parameters of every function around `node` (Semgrep `pattern-inside: function $F(..., $P, ...) { ... }`)."""
    names: set[str] = set()
    current = node.parent
    while current is not None:
        if current.type in _FUNCTIONS_WITH_SOURCE_PARAMETERS:
            parameters = current.child_by_field_name("parameters") or current.child_by_field_name("parameter")
            if parameters is not None and parameters.type == "identifier":
                names.add(ctx.text(parameters))
            elif parameters is not None:
                names.update(ctx.text(p) for p in parameters.named_children if p.type == "identifier")
        current = current.parent
    return names


def url_from_fixed_host(ctx, node) -> bool:
    """A URL literal or template whose scheme and host are written out before any input."""
    return _FIXED_HOST.match(ctx.text(node)) is not None


_FIXED_HOST = re.compile(r"""^[`"']https?://[\w.-]+(:\d+)?/""")


def assigned_property_sinks(*properties: str):
    """Semgrep `$E.innerHTML = $X` with `focus-metavariable: $X`."""
    def sinks(ctx):
        for assignment in ctx.nodes("assignment_expression"):
            left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
            if left is not None and right is not None and left.type == "member_expression" and \
                    ctx.text(left.child_by_field_name("property")) in properties:
                yield right
    return sinks


def method_sinks(*methods: str, exact: int | None = None, position: int = 0):
    """Semgrep `$E.method($X, ...)` (any receiver)."""
    return argument_sinks(*(f"*.{method}" for method in methods), exact=exact, position=position)


def _receiver_calls(ctx, *methods: str):
    for call in ctx.calls_to(*(f"*.{method}" for method in methods)):
        if call.receiver is not None:
            yield call


# --- CWE-022 ---------------------------------------------------------------------------------------

_FS_METHODS = ("readFile", "readFileSync", "createReadStream", "writeFile", "writeFileSync", "createWriteStream",
               "appendFile", "appendFileSync", "unlink", "unlinkSync", "readdir", "readdirSync", "rmSync", "rm",
               "open", "openSync")


@rule("cwe-022-javascript-path-traversal", LANGUAGE)
def path_traversal(ctx):
    spec = TaintSpec(sinks=chain(argument_sinks(*(f"fs.{method}" for method in _FS_METHODS)),
                                 method_sinks("sendFile", "download")),
                     is_source=user_input,
                     is_sanitizer=lambda c, n: is_call_to(c, n, "path.basename") or name_matches(r"(?i)sanitize")(c, n))
    return tainted_sinks(ctx, spec)


def _path_containment_check(ctx, node) -> bool:
    """`$Y.startsWith(...)`, `$Y.includes("..")`."""
    if node.type != "call_expression":
        return False
    call = call_at(ctx, node)
    if call is None or call.receiver is None:
        return False
    if call.name.endswith(".startsWith"):
        return True
    positional = ctx.positional(call)
    return call.name.endswith(".includes") and len(positional) == 1 and ctx.string_value(positional[0]) == ".." \
        and positional[0].type == "string"


@rule("cwe-022-javascript-path-join-escape", LANGUAGE)
def path_join_escape(ctx):
    def joined_parameter(ctx, node) -> bool:
        if node.type != "call_expression" or not is_call_to(ctx, node, "path.join", "path.resolve"):
            return False
        names = {ctx.text(a) for a in ctx.positional(call_at(ctx, node))[1:] if a.type == "identifier"}
        return bool(names) and bool(names & parameters_in_scope(ctx, node))

    def sinks(ctx):
        produced = chain(argument_sinks(*(f"fs.{method}" for method in _FS_METHODS)),
                         method_sinks("sendFile", "download"))
        for node in produced(ctx):
            if not guarded(ctx, node, lambda n: _path_containment_check(ctx, n)):
                yield node
    spec = TaintSpec(sinks=sinks, is_source=joined_parameter,
                     is_sanitizer=lambda c, n: is_call_to(c, n, "path.basename"))
    return tainted_sinks(ctx, spec)


# --- CWE-078 ---------------------------------------------------------------------------------------

def _shell_option(ctx, call) -> bool:
    positional = ctx.positional(call)
    if len(positional) != 3 or positional[2].type != "object":
        return False
    return any(pair.type == "pair" and ctx.text(pair.child_by_field_name("key")) == "shell"
               and ctx.text(pair.child_by_field_name("value")) == "true" for pair in positional[2].named_children)


_CHILD_PROCESS = re.compile(r"(?i)^(cp|child_?process|childprocess|proc|shell)$")


@rule("cwe-078-javascript-command-injection", LANGUAGE)
def command_injection(ctx):
    def sinks(ctx):
        yield from argument_sinks("child_process.exec", "child_process.execSync")(ctx)
        for call in ctx.calls:
            function = call.node.child_by_field_name("function")
            if function is None or call.node.type != "call_expression" or not ctx.positional(call):
                continue
            if function.type == "identifier" and ctx.text(function) in ("exec", "execSync"):
                yield ctx.positional(call)[0]
            elif function.type == "member_expression" and \
                    ctx.text(function.child_by_field_name("property")) in ("exec", "execSync") and \
                    _CHILD_PROCESS.match(ctx.text(function.child_by_field_name("object"))):
                yield ctx.positional(call)[0]
        for call in ctx.calls_to("child_process.spawn", "child_process.spawnSync"):
            if _shell_option(ctx, call):
                yield ctx.positional(call)[0]
    spec = TaintSpec(sinks=sinks, is_source=built_or_user_input,
                     is_sanitizer=name_matches(r"(?i)(quote|escape|sanitize)"),
                     parameters_are_sources=True, parameter_functions=_FUNCTIONS_WITH_SOURCE_PARAMETERS)
    return tainted_sinks(ctx, spec)


# --- CWE-079 ---------------------------------------------------------------------------------------

@rule("cwe-079-javascript-xss", LANGUAGE)
def xss(ctx):
    sinks = chain(argument_sinks("document.write", "document.writeln", exact=1),
                  assigned_property_sinks("innerHTML", "outerHTML"),
                  method_sinks("insertAdjacentHTML", exact=2, position=1),
                  method_sinks("html", "send", "write", exact=1))
    spec = TaintSpec(sinks=sinks, is_source=user_input,
                     is_sanitizer=name_matches(r"(?i)(escape|sanitize|encode|purify|parseInt|Number)"))
    return tainted_sinks(ctx, spec)


_TEMPLATE_HTML = re.compile(r"(?s)^`.*<[a-zA-Z]")
_HTML = re.compile(r"(?s).*<[a-zA-Z]")


def html_built(ctx):
    """Semgrep: `$S` matching a template literal holding a tag, and `"$H" + $X`, `$X + "$H"` with $H holding one."""
    def markup(node) -> bool:
        value = ctx.string_value(node) if node is not None and node.type == "string" else None
        return value is not None and _HTML.match(value) is not None

    for node in ctx.nodes("template_string"):
        if ctx.is_built_string(node) and _TEMPLATE_HTML.match(ctx.text(node)):
            yield node
    for node in ctx.nodes("binary_expression"):
        left, right = _operands(node)
        if operator(ctx, node) == "+" and (markup(left) or markup(right)):
            yield node


@rule("cwe-079-javascript-html-built-from-input", LANGUAGE)
def html_built_from_input(ctx):
    spec = TaintSpec(sinks=html_built, is_source=lambda c, n: user_input(c, n) and _is_req(c, n),
                     is_sanitizer=name_matches(r"(?i).*(escape|sanitize|encode|purify|parseInt|Number)", anchored=True),
                     parameters_are_sources=True, parameter_functions=_FUNCTIONS_WITH_SOURCE_PARAMETERS)
    return tainted_sinks(ctx, spec)


@rule("cwe-079-javascript-dom-html-from-arguments", LANGUAGE)
def dom_html_from_arguments(ctx):
    sinks = chain(argument_sinks("document.write", "document.writeln", exact=1),
                  assigned_property_sinks("innerHTML", "outerHTML"),
                  method_sinks("insertAdjacentHTML", exact=2, position=1),
                  method_sinks("html", exact=1))

    def field_value(ctx, node) -> bool:
        """Semgrep `$E.val()`."""
        if node.type != "call_expression":
            return False
        function = node.child_by_field_name("function")
        return function is not None and function.type == "member_expression" and \
            ctx.text(function.child_by_field_name("property")) == "val" and not ctx.positional(call_at(ctx, node))
    spec = TaintSpec(sinks=sinks, is_source=field_value,
                     is_sanitizer=name_matches(r"(?i)(escape|sanitize|encode|purify|parseInt|Number)"),
                     parameters_are_sources=True, parameter_functions=_FUNCTIONS_WITH_SOURCE_PARAMETERS)
    return tainted_sinks(ctx, spec)


# --- CWE-089 ---------------------------------------------------------------------------------------

@rule("cwe-089-javascript-built-query", LANGUAGE)
def built_query(ctx):
    spec = TaintSpec(sinks=method_sinks("query", "execute", "raw"), is_source=built_or_user_input)
    return tainted_sinks(ctx, spec)


@rule("cwe-089-javascript-sql-string-to-call", LANGUAGE)
def sql_string_to_call(ctx):
    return tainted_sinks(ctx, TaintSpec(sinks=sql_helper_arguments, is_source=sql_string_built))


# --- CWE-094 ---------------------------------------------------------------------------------------

@rule("cwe-094-javascript-code-injection", LANGUAGE)
def code_injection(ctx):
    sinks = chain(argument_sinks("eval", exact=1),
                  argument_sinks("new Function", "Function", position=-1),
                  argument_sinks("setTimeout", "setInterval", "vm.runInNewContext", "vm.runInThisContext",
                                 "vm.runInContext"))
    return tainted_sinks(ctx, TaintSpec(sinks=sinks, is_source=built_or_user_input))


# --- CWE-095 ---------------------------------------------------------------------------------------

@rule("cwe-095-javascript-eval-injection", LANGUAGE)
def eval_injection(ctx):
    sinks = chain(argument_sinks("eval", exact=1),
                  argument_sinks("new Function", "Function", position=-1),
                  argument_sinks("vm.runInNewContext", "vm.runInThisContext", "vm.runInContext"))
    spec = TaintSpec(sinks=sinks, is_source=lambda c, n: user_input(c, n) and _is_req(c, n),
                     is_sanitizer=name_matches(r"^(parseInt|parseFloat|Number)$", anchored=True),
                     parameters_are_sources=True, parameter_functions=_FUNCTIONS_WITH_SOURCE_PARAMETERS)
    return tainted_sinks(ctx, spec)


# --- CWE-116 ---------------------------------------------------------------------------------------

_META_REPLACEMENT = re.compile(r"""^(["'](\\\\|\\?['"<>&])["']|/\\?['"<>&]/[imsuy]*)$""")


@rule("cwe-116-javascript-incomplete-sanitization", LANGUAGE)
def incomplete_sanitization(ctx):
    for call in _receiver_calls(ctx, "replace"):
        positional = ctx.positional(call)
        if len(positional) == 2 and _META_REPLACEMENT.match(ctx.text(positional[0])):
            yield call.node


# --- CWE-117 ---------------------------------------------------------------------------------------

_CONSOLE_METHOD = re.compile(r"^(log|info|warn|error|debug)$")
_LOG_METHOD = re.compile(r"^(debug|info|warn|warning|error|fatal|log)$")
_LOGGER = re.compile(r"(?i)^(\w+\.)*_*(log|logger|winston)$")
_USER_TEXT = (r"(?i)^\w*(user|name|login|email|input|query|search|term|comment|message|msg|text|content|body"
              r"|payload|header|agent|referr?er|url|host)\w*$")


def log_arguments(ctx):
    """Semgrep: `console.$M(..., $X, ...)` and `$LOG.$M(..., $X, ...)` ($LOG a logger), focused on $X."""
    for call in _receiver_calls(ctx, "*"):
        function = call.node.child_by_field_name("function")
        if function is None or function.type != "member_expression":
            continue
        method, receiver = ctx.text(function.child_by_field_name("property")), ctx.text(call.receiver)
        if (receiver == "console" and _CONSOLE_METHOD.match(method)) or \
                (_LOGGER.match(receiver) and _LOG_METHOD.match(method)):
            yield from ctx.positional(call)


@rule("cwe-117-javascript-log-injection", LANGUAGE)
def log_injection(ctx):
    neutraliser = name_matches(r"(?i)^[\w.]*(saniti[sz]|escape|neutrali[sz]|encodeURIComponent|parseInt|Number)",
                               anchored=True)
    spec = TaintSpec(sinks=log_arguments, is_source=lambda c, n: user_input(c, n) and _is_req(c, n),
                     is_sanitizer=lambda c, n: is_call_to(c, n, "*.replace", "JSON.stringify") or neutraliser(c, n),
                     parameters_are_sources=True, parameter_functions=_FUNCTIONS_WITH_SOURCE_PARAMETERS,
                     parameter_pattern=_USER_TEXT)
    return tainted_sinks(ctx, spec)


# --- CWE-200 ---------------------------------------------------------------------------------------

_REL_SAFE = re.compile(r"""rel\s*=\s*["'{][^>]*(noopener|noreferrer)""")


@rule("cwe-200-javascript-target-blank", LANGUAGE)
def target_blank(ctx):
    for element in ctx.nodes("jsx_element", "jsx_self_closing_element"):
        tag = element.child_by_field_name("open_tag") if element.type == "jsx_element" else element
        if tag is None or ctx.text(tag.child_by_field_name("name")) != "a":
            continue
        attributes = [child for child in tag.named_children if child.type == "jsx_attribute"]
        if not any(_attribute_is(ctx, attribute, "target", "_blank") for attribute in attributes):
            continue
        if not _REL_SAFE.search(ctx.text(element)):
            yield element


def _attribute_is(ctx, attribute, name: str, value: str) -> bool:
    children = attribute.named_children
    return len(children) == 2 and ctx.text(children[0]) == name and ctx.string_value(children[1]) == value


# --- CWE-287 ---------------------------------------------------------------------------------------

@rule("cwe-287-javascript-jwt-none-algorithm", LANGUAGE)
def jwt_none_algorithm(ctx):
    for call in ctx.calls_to("jwt.verify", "jsonwebtoken.verify"):
        positional = ctx.positional(call)
        if len(positional) < 3 or positional[2].type != "object":
            continue
        for pair in positional[2].named_children:
            if pair.type == "pair" and ctx.text(pair.child_by_field_name("key")) == "algorithms":
                value = pair.child_by_field_name("value")
                if value is not None and value.type == "array" and \
                        any(ctx.string_value(item) == "none" for item in value.named_children):
                    yield call.node


# --- CWE-295 ---------------------------------------------------------------------------------------

@rule("cwe-295-javascript-tls-verification-disabled", LANGUAGE)
def tls_verification_disabled(ctx):
    for obj in ctx.nodes("object"):
        if any(pair.type == "pair" and ctx.text(pair.child_by_field_name("key")) == "rejectUnauthorized"
               and ctx.text(pair.child_by_field_name("value")) == "false" for pair in obj.named_children):
            yield obj
    for assignment in ctx.nodes("assignment_expression"):
        left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        if left is None or right is None or ctx.string_value(right) != "0":
            continue
        if re.fullmatch(r"""process\.env(\.NODE_TLS_REJECT_UNAUTHORIZED|\[["']NODE_TLS_REJECT_UNAUTHORIZED["']\])""",
                        ctx.text(left)):
            yield assignment


# --- CWE-327 ---------------------------------------------------------------------------------------

@rule("cwe-327-javascript-weak-crypto", LANGUAGE)
def weak_crypto(ctx):
    for call in ctx.calls_to("crypto.createHash"):
        positional = ctx.positional(call)
        if len(positional) == 1 and re.match(r"(?i)^(md5|md4|sha1|ripemd160)$", ctx.string_value(positional[0]) or ""):
            yield call.node
    for call in ctx.calls_to("crypto.createCipheriv"):
        positional = ctx.positional(call)
        if positional and re.search(r"(?i)(^des|^rc4|^rc2|^bf|ecb)", ctx.string_value(positional[0]) or ""):
            yield call.node
    yield from (call.node for call in ctx.calls_to("crypto.createCipher"))


# --- CWE-338 ---------------------------------------------------------------------------------------

_SECRET_WORDS = re.compile(r"(?i)(passw|pwd|token|secret|key|salt|nonce|otp|session|csrf|uuid)")


@rule("cwe-338-javascript-insecure-random", LANGUAGE)
def insecure_random(ctx):
    for call in ctx.calls_to("Math.random"):
        if ctx.positional(call):
            continue
        if inside(ctx, call.node, lambda n: _secret_context(ctx, n)):
            yield call.node


def _secret_context(ctx, node) -> bool:
    if node.type == "function_declaration":
        name = node.child_by_field_name("name")
        return name is not None and bool(_SECRET_WORDS.search(ctx.text(name)))
    if node.type == "assignment_expression":
        left = node.child_by_field_name("left")
        return left is not None and bool(_SECRET_WORDS.search(ctx.text(left)))
    if node.type == "variable_declarator":
        name = node.child_by_field_name("name")
        return name is not None and node.child_by_field_name("value") is not None and \
            bool(_SECRET_WORDS.search(ctx.text(name)))
    return False


# --- CWE-352 ---------------------------------------------------------------------------------------

_CSRF = re.compile(r"(?i)csrf")


@rule("cwe-352-javascript-missing-csrf", LANGUAGE)
def missing_csrf(ctx):
    for call in _receiver_calls(ctx, "post", "put", "delete", "patch"):
        positional = ctx.positional(call)
        if not 2 <= len(positional) <= 4 or any(_CSRF.search(ctx.text(mw)) for mw in positional[1:-1]):
            continue
        if not preceded_by(ctx, call.node, lambda s: _uses(ctx, s, ("cookieParser", "cookie-parser"), True)):
            continue
        if preceded_by(ctx, call.node, lambda s: _uses(ctx, s, ("csrf", "csurf", "lusca.csrf"), True)
                       or _uses(ctx, s, ("csrfProtection",), False)):
            continue
        yield call.node


def _uses(ctx, statement, names: tuple[str, ...], called: bool) -> bool:
    """`$APP.use(name(...));` (called) or `$APP.use(name);`."""
    if statement.type != "expression_statement" or not statement.named_children:
        return False
    expression = statement.named_children[0]
    call = call_at(ctx, expression) if expression.type == "call_expression" else None
    if call is None or not call.name.endswith(".use") or call.receiver is None:
        return False
    positional = ctx.positional(call)
    if len(positional) != 1:
        return False
    argument = positional[0]
    if called:
        inner = call_at(ctx, argument) if argument.type == "call_expression" else None
        return inner is not None and (inner.raw_name in names or inner.name in names)
    return ctx.text(argument) in names


# --- CWE-1333 --------------------------------------------------------------------------------------

def _escapes_regex_characters(ctx, node) -> bool:
    """Semgrep: `$X.replace($RE, $WITH)` with $WITH holding `$&` (the usual escaping idiom)."""
    if node.type != "call_expression" or not is_call_to(ctx, node, "*.replace"):
        return False
    positional = ctx.positional(call_at(ctx, node))
    return len(positional) == 2 and "$&" in ctx.text(positional[1])


@rule("cwe-1333-javascript-regex-injection", LANGUAGE)
def regex_injection(ctx):
    escape = name_matches(r"(?i).*escape", anchored=True)
    spec = TaintSpec(sinks=argument_sinks("new RegExp", "RegExp"),
                     is_source=lambda c, n: user_input(c, n) and _is_req(c, n),
                     is_sanitizer=lambda c, n: escape(c, n) or _escapes_regex_characters(c, n),
                     parameters_are_sources=True, parameter_functions=_FUNCTIONS_WITH_SOURCE_PARAMETERS)
    return tainted_sinks(ctx, spec)


def _is_req(ctx, node) -> bool:
    obj = node.child_by_field_name("object")
    return obj is not None and obj.type == "identifier" and ctx.text(obj) == "req"


# --- CWE-502 ---------------------------------------------------------------------------------------

@rule("cwe-502-javascript-unsafe-deserialization", LANGUAGE)
def unsafe_deserialization(ctx):
    for call in ctx.calls:
        raw = call.raw_name
        if raw == "unserialize" or (call.receiver is not None and raw.rsplit(".", 1)[-1] in
                                     ("unserialize", "deepDeserialize")):
            yield call.node


# --- CWE-798 ---------------------------------------------------------------------------------------

_SECRET_KEYS = re.compile(r"""(?i)^["']?(password|passwd|pwd|secret|apiKey|api_key|clientSecret|client_secret)["']?$""")


@rule("cwe-798-javascript-hardcoded-secret", LANGUAGE)
def hardcoded_secret(ctx):
    for call in ctx.calls_to("jwt.sign", "jwt.verify", "jsonwebtoken.sign", "jsonwebtoken.verify"):
        positional = ctx.positional(call)
        if len(positional) >= 2 and positional[1].type == "string":
            yield call.node
    for obj in ctx.nodes("object"):
        for pair in obj.named_children:
            if pair.type != "pair":
                continue
            key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if key is not None and _SECRET_KEYS.match(ctx.text(key)) and value is not None and \
                    value.type == "string" and ctx.string_value(value):
                yield obj
                break


# --- CWE-915 ---------------------------------------------------------------------------------------

@rule("cwe-915-javascript-prototype-pollution", LANGUAGE)
def prototype_pollution(ctx):
    def sinks(ctx):
        for assignment in ctx.nodes("assignment_expression"):
            left = assignment.child_by_field_name("left")
            if left is None or left.type != "subscript_expression":
                continue
            inner = left.child_by_field_name("object")
            if inner is None or inner.type != "subscript_expression":
                continue
            key = inner.child_by_field_name("index")
            if key is None or _proto_guarded(ctx, assignment):
                continue
            yield key
    return tainted_sinks(ctx, TaintSpec(sinks=sinks, is_source=lambda c, n: user_input(c, n) and _is_req(c, n)))


def _proto_guarded(ctx, node) -> bool:
    def checks_proto(candidate) -> bool:
        if candidate.type != "if_statement":
            return False
        condition = candidate.child_by_field_name("condition")
        return condition is not None and "__proto__" in ctx.text(condition)
    return preceded_by(ctx, node, checks_proto) or inside(ctx, node, checks_proto)


# Semgrep: `$O[$K] = $V` inside `for ($K in $SRC)`, `$O[$K] = $F(...)` inside `function $F`,
# or `$O[$K] = $V` inside `while`/`for` whose body walks `$O = $O[$K]`; not inside or after
# `if (<... "__proto__" ...>)`, `"constructor"` or a hasOwnProperty check.
@rule("cwe-915-javascript-prototype-polluting-merge", LANGUAGE)
def prototype_polluting_merge(ctx):
    for assignment in ctx.nodes("assignment_expression"):
        left = assignment.child_by_field_name("left")
        right = assignment.child_by_field_name("right")
        if left is None or right is None or left.type != "subscript_expression":
            continue
        target, key = left.child_by_field_name("object"), left.child_by_field_name("index")
        if target is None or key is None:
            continue
        target_text, key_text = ctx.text(target), ctx.text(key)
        if not (_in_for_in_over(ctx, assignment, key_text) or _recursive_result(ctx, assignment, right)
                or _in_path_walk(ctx, assignment, target_text, key_text)):
            continue
        if inside(ctx, assignment, lambda n: _key_guard(ctx, n)) or \
                preceded_by(ctx, assignment, lambda n: _key_guard(ctx, n)):
            continue
        yield assignment


def _in_for_in_over(ctx, node, key_text: str) -> bool:
    def loops_over_key(candidate) -> bool:
        if candidate.type != "for_in_statement":
            return False
        operator = candidate.child_by_field_name("operator")
        variable = candidate.child_by_field_name("left")
        return (operator is not None and ctx.text(operator) == "in" and variable is not None
                and variable.type == "identifier" and ctx.text(variable) == key_text)
    return inside(ctx, node, loops_over_key)


def _recursive_result(ctx, node, value) -> bool:
    if value.type != "call_expression":
        return False
    callee = value.child_by_field_name("function")
    if callee is None or callee.type != "identifier":
        return False
    name = ctx.text(callee)

    def is_that_function(candidate) -> bool:
        declared = candidate.child_by_field_name("name") if candidate.type == "function_declaration" else None
        return declared is not None and ctx.text(declared) == name
    return inside(ctx, node, is_that_function)


def _in_path_walk(ctx, node, target_text: str, key_text: str) -> bool:
    def steps_down(candidate) -> bool:
        if candidate.type != "assignment_expression" or candidate.parent is None or \
                candidate.parent.type != "expression_statement":
            return False
        left, right = candidate.child_by_field_name("left"), candidate.child_by_field_name("right")
        if left is None or right is None or right.type != "subscript_expression" or ctx.text(left) != target_text:
            return False
        walked, index = right.child_by_field_name("object"), right.child_by_field_name("index")
        return walked is not None and index is not None and ctx.text(walked) == target_text and \
            ctx.text(index) == key_text

    def walks(candidate) -> bool:
        if candidate.type not in ("while_statement", "for_statement", "for_in_statement"):
            return False
        body = candidate.child_by_field_name("body")
        return body is not None and body.type == "statement_block" and _contains_outside_functions(body, steps_down)
    return inside(ctx, node, walks)


def _contains_outside_functions(node, accept) -> bool:
    if accept(node):
        return True
    return any(_contains_outside_functions(child, accept) for child in node.named_children
               if child.type not in _FUNCTIONS_WITH_SOURCE_PARAMETERS)


_HAS_OWN = re.compile(r"^(?:.+\.hasOwnProperty|(?:.+\.)?hasOwnProperty\.call|Object\.hasOwn)$", re.S)


def _key_guard(ctx, candidate) -> bool:
    if candidate.type != "if_statement":
        return False
    condition = candidate.child_by_field_name("condition")
    if condition is None:
        return False

    def guards(node) -> bool:
        if node.type == "string":
            return ctx.text(node)[1:-1] in ("__proto__", "constructor")
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            return callee is not None and callee.type == "member_expression" and \
                _HAS_OWN.match(ctx.text(callee)) is not None
        return False
    return _contains_outside_functions(condition, guards)


# --- CWE-916 ---------------------------------------------------------------------------------------

_PASSWORD = r"(?i)^\w*(passw(or)?d|passwd|pwd)\w*$"


@rule("cwe-916-javascript-password-fast-hash", LANGUAGE)
def password_fast_hash(ctx):
    for call in _receiver_calls(ctx, "update"):
        positional = ctx.positional(call)
        if not positional or not any_identifier_matches(ctx, positional[0], _PASSWORD):
            continue
        receiver = call.receiver
        if receiver.type == "call_expression" and is_call_to(ctx, receiver, "crypto.createHash", "crypto.createHmac"):
            yield call.node
        elif receiver.type == "identifier":
            name = ctx.text(receiver)
            if preceded_by(ctx, call.node, lambda s, name=name: _assigns_hash(ctx, s, name)):
                yield call.node


def _assigns_hash(ctx, statement, name: str) -> bool:
    candidates = []
    if statement.type in ("lexical_declaration", "variable_declaration"):
        candidates = [(d.child_by_field_name("name"), d.child_by_field_name("value"))
                      for d in statement.named_children if d.type == "variable_declarator"]
    elif statement.type == "expression_statement" and statement.named_children and \
            statement.named_children[0].type == "assignment_expression":
        expression = statement.named_children[0]
        candidates = [(expression.child_by_field_name("left"), expression.child_by_field_name("right"))]
    return any(target is not None and value is not None and ctx.text(target) == name and
               is_call_to(ctx, value, "crypto.createHash") for target, value in candidates)


# --- CWE-918 ---------------------------------------------------------------------------------------

@rule("cwe-918-javascript-ssrf", LANGUAGE)
def ssrf(ctx):
    urls = argument_sinks("axios", "axios.*", "fetch", "http.get", "http.request", "https.get", "https.request",
                          "request", "request.*", "got", "needle.*")

    def sinks(ctx):
        for node in urls(ctx):
            if not url_from_fixed_host(ctx, node) and not guarded(ctx, node, lambda n: _allow_list_check(ctx, n)):
                yield node
    spec = TaintSpec(sinks=sinks, is_source=lambda c, n: user_input(c, n) and _is_req(c, n),
                     parameters_are_sources=True, parameter_functions=_FUNCTIONS_WITH_SOURCE_PARAMETERS)
    return tainted_sinks(ctx, spec)


def _allow_list_check(ctx, node) -> bool:
    """`$A.includes(...)`, `$A.has(...)`."""
    if node.type != "call_expression":
        return False
    call = call_at(ctx, node)
    return call is not None and call.receiver is not None and call.name.rsplit(".", 1)[-1] in ("includes", "has")
