"""In-process twins of the Python Semgrep rules (rules/semgrep/cwe-*.yaml, `languages: [python]`).

Each function carries the id of its Semgrep twin and yields the nodes where that rule
fires; its comment names the Semgrep construct it mirrors.
"""

from __future__ import annotations

import re

from safecoder.analysis.fast.guards import guarded, membership_test
from safecoder.analysis.fast.literals import _operands, operator
from safecoder.analysis.fast.operators import (
    any_identifier_matches,
    argument_sinks,
    call_at,
    chain,
    int_value,
    is_call_to,
    keyword_has_text,
    preceded_by,
    sql_helper_arguments,
    sql_string_built,
)
from safecoder.analysis.fast.registry import rule
from safecoder.analysis.fast.taint import TaintSpec, tainted_sinks

LANGUAGE = "python"


# --- shared sources, sanitizers and sinks ------------------------------------------------------

def request_data(ctx, node) -> bool:
    """Semgrep `request.$A`."""
    if node.type != "attribute":
        return False
    obj = node.child_by_field_name("object")
    return obj is not None and obj.type == "identifier" and ctx.text(obj) == "request"


def built_or_request(ctx, node) -> bool:
    """Semgrep: `"..." + $X`, `$X + "..."`, `"..." % $X`, `"...".format(...)`, `f"...{$X}..."`, `request.$A`."""
    return ctx.is_built_string(node) or request_data(ctx, node)


def sanitizer(*patterns: str):
    def accept(ctx, node) -> bool:
        return is_call_to(ctx, node, *patterns)
    return accept


# Semgrep: `def $F(..., $P, ...): ...` with `focus-metavariable: $P`, self and cls excluded.
NOT_SELF = ("self", "cls")


def enclosing_parameters(ctx, node) -> set[str]:
    """Names of the parameters of every `def` around `node` (Semgrep `pattern-inside: def $F(..., $P, ...)`)."""
    names: set[str] = set()
    current = node.parent
    while current is not None:
        if current.type == "function_definition":
            parameters = current.child_by_field_name("parameters")
            for parameter in parameters.named_children if parameters is not None else ():
                name = parameter if parameter.type == "identifier" else (
                    parameter.child_by_field_name("name") or
                    next((c for c in parameter.named_children if c.type == "identifier"), None))
                if name is not None and name.type == "identifier":
                    names.add(ctx.text(name))
        current = current.parent
    return names - set(NOT_SELF)


def enclosing_function_names(ctx, node):
    current = node.parent
    while current is not None:
        if current.type == "function_definition":
            name = current.child_by_field_name("name")
            if name is not None:
                yield ctx.text(name)
        current = current.parent


def plain_string(ctx, node) -> str | None:
    """Semgrep `"$H"`: the value of a string literal without interpolation."""
    return ctx.string_value(node) if node is not None and node.type == "string" else None


def route_returns(ctx):
    """Semgrep: `return $X` inside `@$APP.route(...) def $F(...): ...`, focused on $X."""
    for definition in ctx.nodes("decorated_definition"):
        if not any(_is_route_decorator(ctx, decorator) for decorator in definition.named_children
                   if decorator.type == "decorator"):
            continue
        function = definition.child_by_field_name("definition")
        if function is None:
            continue
        for statement in ctx.nodes("return_statement"):
            if function.start_byte <= statement.start_byte < function.end_byte and statement.named_child_count:
                yield statement.named_children[0]


def _is_route_decorator(ctx, decorator) -> bool:
    expression = decorator.named_children[0] if decorator.named_children else None
    if expression is None or expression.type != "call":
        return False
    function = expression.child_by_field_name("function")
    return function is not None and function.type == "attribute" and \
        ctx.text(function.child_by_field_name("attribute")) == "route"


# --- CWE-022 ---------------------------------------------------------------------------------------

@rule("cwe-022-python-path-injection", LANGUAGE)
def path_injection(ctx):
    spec = TaintSpec(
        sinks=chain(argument_sinks("open", "io.open", "os.open", "send_file", "flask.send_file", "shutil.rmtree",
                                    "shutil.copy", "shutil.copyfile"),
                     argument_sinks("os.remove", "os.unlink", "os.rmdir", "os.listdir", "pathlib.Path", exact=1)),
        is_source=request_data,
        is_sanitizer=sanitizer("safe_join", "*.safe_join", "secure_filename", "*.secure_filename",
                               "os.path.basename"))
    return tainted_sinks(ctx, spec)


def _containment_check(ctx, node) -> bool:
    """`$Y.startswith(...)`, `$Y.is_relative_to(...)`, `os.path.commonpath(...)`, `".." in $Y`."""
    if node.type == "call":
        return is_call_to(ctx, node, "*.startswith", "*.is_relative_to", "os.path.commonpath")
    if membership_test(ctx, node, ("in",)):
        return plain_string(ctx, node.named_children[0]) == ".."
    return False


@rule("cwe-022-python-path-join-escape", LANGUAGE)
def path_join_escape(ctx):
    def joined_parameter(ctx, node) -> bool:
        """Semgrep: `os.path.join($BASE, ..., $P, ...)` or `$BASE / $P`, $P a parameter of the enclosing def."""
        if node.type == "call":
            if not is_call_to(ctx, node, "os.path.join"):
                return False
            candidates = ctx.positional(call_at(ctx, node))[1:]
        elif node.type == "binary_operator" and operator(ctx, node) == "/":
            candidates = [_operands(node)[1]]
        else:
            return False
        names = {ctx.text(c) for c in candidates if c is not None and c.type == "identifier"}
        return bool(names) and bool(names & enclosing_parameters(ctx, node))

    def sinks(ctx):
        produced = chain(argument_sinks("open", "io.open", "os.open", "send_file", "flask.send_file", "shutil.copy",
                                        "shutil.copyfile", "shutil.rmtree"),
                         argument_sinks("os.remove", "os.unlink", exact=1))
        yield from produced(ctx)
        for call in ctx.calls_to("*.read_text", "*.read_bytes", "*.write_text", "*.write_bytes"):
            if call.receiver is not None:
                yield call.receiver

    def unguarded(ctx):
        return (node for node in sinks(ctx) if not guarded(ctx, node, lambda n: _containment_check(ctx, n)))
    spec = TaintSpec(sinks=unguarded, is_source=joined_parameter,
                     is_sanitizer=sanitizer("os.path.basename", "secure_filename", "*.secure_filename", "safe_join",
                                            "*.safe_join"))
    return tainted_sinks(ctx, spec)


_CONTAINMENT_CHECKS = ("*.startswith", "*.is_relative_to")


def _is_checking_if(ctx, node) -> bool:
    if node.type != "if_statement":
        return False
    condition = node.child_by_field_name("condition")
    return condition is not None and any(
        condition.start_byte <= call.node.start_byte < condition.end_byte
        for call in ctx.calls_to(*_CONTAINMENT_CHECKS))


@rule("cwe-022-python-tar-extract", LANGUAGE)
def tar_extract(ctx):
    for call in ctx.calls_to("*.extractall"):
        if ctx.keyword(call, "members") is None and ctx.keyword(call, "filter") is None:
            yield call.node
    for call in ctx.calls_to("*.extract"):
        if not ctx.positional(call) or ctx.keyword(call, "filter") is not None:
            continue
        guarded = preceded_by(ctx, call.node, lambda sibling: _is_checking_if(ctx, sibling))
        enclosed = any(_is_checking_if(ctx, ancestor) and ancestor.child_by_field_name("condition") is not None
                       and not _within(call.node, ancestor.child_by_field_name("condition"))
                       for ancestor in _ancestors(call.node))
        if not guarded and not enclosed:
            yield call.node


def _ancestors(node):
    current = node.parent
    while current is not None:
        yield current
        current = current.parent


def _within(node, container) -> bool:
    return container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


# --- CWE-078 ---------------------------------------------------------------------------------------

@rule("cwe-078-python-shell-command", LANGUAGE)
def shell_command(ctx):
    def sinks(ctx):
        yield from argument_sinks("os.popen")(ctx)
        yield from argument_sinks("os.system", "commands.getoutput", "commands.getstatusoutput",
                                  "subprocess.getoutput", "subprocess.getstatusoutput", exact=1)(ctx)
        for command in argument_sinks("subprocess.*", keyword_is=("shell", "True"))(ctx):
            if command.type in ("list", "tuple"):
                # With shell=True a sequence's first item is the command line; the rest are
                # the shell's $0, $1, ..., never parsed as command text (Semgrep: [$FIRST, ...]).
                if command.named_children:
                    yield command.named_children[0]
            else:
                yield command

    def source(ctx, node) -> bool:
        return request_data(ctx, node) or (node.type == "attribute" and ctx.name_of(node) == "sys.argv")
    spec = TaintSpec(sinks=sinks, is_source=source, is_sanitizer=sanitizer("shlex.quote", "pipes.quote", "int"),
                     parameters_are_sources=True, excluded_parameters=("self", "cls"))
    return tainted_sinks(ctx, spec)


# --- CWE-079 ---------------------------------------------------------------------------------------

@rule("cwe-079-python-reflected-xss", LANGUAGE)
def reflected_xss(ctx):
    def sinks(ctx):
        yield from route_returns(ctx)
        yield from argument_sinks("make_response", "flask.make_response", "Response", "flask.Response")(ctx)
    spec = TaintSpec(sinks=sinks, is_source=request_data,
                     # A file sent or a redirect is not markup the route built; a file's contents
                     # and a command's output are not the request's data reflected.
                     is_sanitizer=sanitizer("escape", "*.escape", "render_template", "*.render", "jsonify",
                                            "*.jsonify", "json.dumps", "int", "send_file", "*.send_file",
                                            "send_from_directory", "*.send_from_directory", "redirect",
                                            "*.redirect", "open", "subprocess.*", "os.popen"))
    return tainted_sinks(ctx, spec)


@rule("cwe-079-python-html-from-arguments", LANGUAGE)
def html_from_arguments(ctx):
    sinks = chain(argument_sinks("HttpResponse", "HttpResponseNotFound", "HttpResponseBadRequest",
                                 "HttpResponseForbidden"),
                  argument_sinks("mark_safe", "Markup", "self.write", exact=1))
    spec = TaintSpec(sinks=sinks, is_source=lambda c, n: False,
                     is_sanitizer=sanitizer("escape", "*.escape", "*.xhtml_escape", "render_template", "*.render",
                                            "json.dumps", "int"),
                     parameters_are_sources=True, excluded_parameters=("self", "cls"))
    return tainted_sinks(ctx, spec)


_FSTRING_HTML = re.compile(r"(?s)^([rR]?[fF]|[fF][rR])(\"|').*<[a-zA-Z]")
_HTML = re.compile(r"(?s).*<[a-zA-Z]")


def html_built(ctx):
    """Semgrep: `$S` matching `f"...<tag..."`, and `"$H" + $X`, `$X + "$H"`, `"$H" % $X`, `"$H".format(...)`
    with $H holding a tag."""
    def markup(node) -> bool:
        value = plain_string(ctx, node)
        return value is not None and _HTML.match(value) is not None

    for node in ctx.nodes("string"):
        if node.parent is not None and node.parent.type == "concatenated_string":
            continue
        if ctx.is_built_string(node) and _FSTRING_HTML.match(ctx.text(node)):
            yield node
    for node in ctx.nodes("binary_operator"):
        left, right = _operands(node)
        op = operator(ctx, node)
        if (op == "+" and (markup(left) or markup(right))) or (op == "%" and markup(left)):
            yield node
    for call in ctx.calls_to("*.format"):
        if call.receiver is not None and markup(call.receiver):
            yield call.node


@rule("cwe-079-python-html-built-from-input", LANGUAGE)
def html_built_from_input(ctx):
    spec = TaintSpec(sinks=html_built, is_source=request_data,
                     is_sanitizer=sanitizer("escape", "*.escape", "bleach.clean", "int", "float", "len"),
                     parameters_are_sources=True, excluded_parameters=NOT_SELF)
    return tainted_sinks(ctx, spec)


@rule("cwe-079-python-jinja2-autoescape", LANGUAGE)
def jinja2_autoescape(ctx):
    for call in ctx.calls_to("jinja2.Environment", "jinja2.Template"):
        autoescape = ctx.keyword(call, "autoescape")
        if autoescape is None or ctx.text(autoescape) == "False":
            yield call.node


# --- CWE-089 ---------------------------------------------------------------------------------------

@rule("cwe-089-python-built-query", LANGUAGE)
def built_query(ctx):
    def sinks(ctx):
        yield from argument_sinks("*.execute", "*.executemany", "*.raw")(ctx)
        yield from argument_sinks("*.executescript", "sqlalchemy.text", exact=1)(ctx)
    return tainted_sinks(ctx, TaintSpec(sinks=sinks, is_source=built_or_request))


@rule("cwe-089-python-sql-string-to-call", LANGUAGE)
def sql_string_to_call(ctx):
    return tainted_sinks(ctx, TaintSpec(sinks=sql_helper_arguments, is_source=sql_string_built))


# --- CWE-094 ---------------------------------------------------------------------------------------

@rule("cwe-094-python-code-injection", LANGUAGE)
def code_injection(ctx):
    return tainted_sinks(ctx, TaintSpec(sinks=argument_sinks("eval", "exec", "compile"), is_source=built_or_request))


# --- CWE-095 ---------------------------------------------------------------------------------------

@rule("cwe-095-python-eval-injection", LANGUAGE)
def eval_injection(ctx):
    spec = TaintSpec(sinks=argument_sinks("eval", "exec"), is_source=request_data,
                     is_sanitizer=sanitizer("int", "float"), parameters_are_sources=True,
                     excluded_parameters=NOT_SELF)
    return tainted_sinks(ctx, spec)


# --- CWE-117 ---------------------------------------------------------------------------------------

_LOG_METHOD = re.compile(r"^(debug|info|warning|warn|error|critical|exception|fatal|log)$")
_LOGGER = re.compile(r"(?i)^(\w+\.)*_*(log|logger)$")
_USER_TEXT = (r"(?i)^\w*(user|name|login|email|input|query|search|term|comment|message|msg|text|content|body"
              r"|payload|header|agent|referr?er|url|host)\w*$")
_NEUTRALISER = re.compile(r"(?i)^[\w.]*(saniti[sz]|escape|neutrali[sz])")


def log_arguments(ctx):
    """Semgrep: `logging.$M(..., $X, ...)` and `$LOG.$M(..., $X, ...)` ($LOG a logger), focused on $X."""
    for call in ctx.calls:
        function = call.node.child_by_field_name("function")
        if function is None or function.type != "attribute" or call.receiver is None:
            continue
        if not _LOG_METHOD.match(ctx.text(function.child_by_field_name("attribute"))):
            continue
        if call.name.rsplit(".", 1)[0] == "logging" or _LOGGER.match(ctx.text(call.receiver)):
            yield from ctx.positional(call)


def log_neutraliser(ctx, node) -> bool:
    if node.type != "call":
        return False
    if is_call_to(ctx, node, "*.replace", "repr", "json.dumps", "int", "float", "len"):
        return True
    function = node.child_by_field_name("function")
    return function is not None and _NEUTRALISER.match(ctx.text(function)) is not None


@rule("cwe-117-python-log-injection", LANGUAGE)
def log_injection(ctx):
    spec = TaintSpec(sinks=log_arguments, is_source=request_data, is_sanitizer=log_neutraliser,
                     parameters_are_sources=True, parameter_pattern=_USER_TEXT)
    return tainted_sinks(ctx, spec)


# --- CWE-200 ---------------------------------------------------------------------------------------

@rule("cwe-200-python-flask-debug", LANGUAGE)
def flask_debug(ctx):
    for call in ctx.calls_to("*.run"):
        if call.receiver is not None and keyword_has_text(ctx, call, "debug", "True"):
            yield call.node


@rule("cwe-200-python-stack-trace-exposure", LANGUAGE)
def stack_trace_exposure(ctx):
    spec = TaintSpec(sinks=route_returns,
                     is_source=lambda c, n: is_call_to(c, n, "traceback.format_exc", "traceback.format_exception"))
    return tainted_sinks(ctx, spec)


# --- CWE-287 ---------------------------------------------------------------------------------------

@rule("cwe-287-python-jwt-unverified", LANGUAGE)
def jwt_unverified(ctx):
    for call in ctx.calls_to("jwt.decode"):
        options = ctx.keyword(call, "options")
        algorithms = ctx.keyword(call, "algorithms")
        if keyword_has_text(ctx, call, "verify", "False"):
            yield call.node
        elif options is not None and options.type == "dictionary" and any(
                pair.type == "pair" and ctx.string_value(pair.child_by_field_name("key")) == "verify_signature"
                and ctx.text(pair.child_by_field_name("value")) == "False" for pair in options.named_children):
            yield call.node
        elif algorithms is not None and algorithms.type == "list" and any(
                ctx.string_value(item) == "none" for item in algorithms.named_children):
            yield call.node


# --- CWE-295 ---------------------------------------------------------------------------------------

_LAX_POLICIES = re.compile(r"^paramiko(\.client)?\.(AutoAddPolicy|WarningPolicy)$")


@rule("cwe-295-python-missing-host-key-check", LANGUAGE)
def missing_host_key_check(ctx):
    for call in ctx.calls_to("*.set_missing_host_key_policy"):
        arguments = ctx.positional(call)
        if len(arguments) != 1:
            continue
        policy = arguments[0]
        target = policy.child_by_field_name("function") if policy.type == "call" else policy
        if policy.type == "call" and ctx.positional(call_at(ctx, policy)):
            continue
        if target is not None and _LAX_POLICIES.match(ctx.name_of(target)):
            yield call.node


@rule("cwe-295-python-tls-verification-disabled", LANGUAGE)
def tls_verification_disabled(ctx):
    for call in ctx.calls_to("requests.*", "httpx.*"):
        if keyword_has_text(ctx, call, "verify", "False"):
            yield call.node
    yield from (call.node for call in ctx.calls_to("ssl._create_unverified_context"))
    for assignment in ctx.nodes("assignment"):
        left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        if left is None or right is None or left.type != "attribute":
            continue
        attribute = ctx.text(left.child_by_field_name("attribute"))
        if (attribute == "verify_mode" and ctx.name_of(right) == "ssl.CERT_NONE") or \
                (attribute == "check_hostname" and ctx.text(right) == "False"):
            yield assignment


# --- CWE-326 ---------------------------------------------------------------------------------------

def _weak(ctx, node) -> bool:
    value = int_value(ctx, node) if node is not None and node.type == "integer" else None
    return value is not None and value < 2048


@rule("cwe-326-python-weak-key-size", LANGUAGE)
def weak_key_size(ctx):
    for call in ctx.calls_to("*.generate_private_key"):
        positional = ctx.positional(call)
        size = ctx.keyword(call, "key_size") or (positional[1] if len(positional) >= 2 else None)
        if call.receiver is not None and _weak(ctx, size):
            yield call.node
    for call in ctx.calls_to("Crypto.PublicKey.RSA.generate", "Crypto.PublicKey.DSA.generate", "RSA.generate",
                             "DSA.generate"):
        positional = ctx.positional(call)
        if positional and _weak(ctx, positional[0]):
            yield call.node
    for function in ctx.nodes("function_definition"):
        name, _ = _key_size_wrapper(ctx, function)
        if name is None:
            continue
        for call in ctx.calls_to(name):
            positional = ctx.positional(call)
            if call.node.start_byte >= function.end_byte and positional and _weak(ctx, positional[0]):
                yield call.node


def _key_size_wrapper(ctx, function) -> tuple[str | None, str | None]:
    """(name, first parameter) of `def f(p, ...): ... k = m.generate_private_key(..., key_size=p, ...)`."""
    if function.parent is None or function.parent.type not in ("module", "decorated_definition"):
        return None, None
    parameters = function.child_by_field_name("parameters")
    body = function.child_by_field_name("body")
    first = parameters.named_children[0] if parameters is not None and parameters.named_children else None
    if first is None or first.type != "identifier" or body is None:
        return None, None
    parameter = ctx.text(first)
    for statement in body.named_children:
        assignment = statement.named_children[0] if statement.type == "expression_statement" and \
            statement.named_children else None
        if assignment is None or assignment.type != "assignment":
            continue
        value = assignment.child_by_field_name("right")
        call = call_at(ctx, value) if value is not None and value.type == "call" else None
        if call is None or not call.name.endswith(".generate_private_key") or call.receiver is None:
            continue
        size = ctx.keyword(call, "key_size")
        if size is not None and ctx.text(size) == parameter:
            return ctx.text(function.child_by_field_name("name")), parameter
    return None, None


# --- CWE-327 ---------------------------------------------------------------------------------------

_FAST_HASHES = re.compile(r"^(md5|sha1|sha224|sha256|sha384|sha512|sha3_\d+|blake2b|blake2s)$")
_PASSWORD = r"(?i)^\w*(passw(or)?d|passwd|pwd)\w*$"


@rule("cwe-327-python-weak-hash", LANGUAGE)
def weak_hash(ctx):
    for call in ctx.calls_to("hashlib.md5", "hashlib.sha1", "Crypto.Hash.MD5.new", "Crypto.Hash.SHA.new"):
        if not keyword_has_text(ctx, call, "usedforsecurity", "False"):
            yield call.node
    for call in ctx.calls_to("hashlib.new"):
        positional = ctx.positional(call)
        if positional and ctx.string_value(positional[0]) in ("md5", "sha1", "MD5", "SHA1") and \
                not keyword_has_text(ctx, call, "usedforsecurity", "False"):
            yield call.node


@rule("cwe-327-python-password-fast-hash", LANGUAGE)
def password_fast_hash(ctx):
    for call in ctx.calls_to("hashlib.*"):
        algorithm = call.name.split(".", 1)[1]
        positional = ctx.positional(call)
        data = positional[1] if algorithm == "new" and len(positional) > 1 else (
            positional[0] if _FAST_HASHES.match(algorithm) and positional else None)
        if data is not None and any_identifier_matches(ctx, data, _PASSWORD):
            yield call.node
    for call in ctx.calls_to("*.update"):
        receiver = call.receiver
        positional = ctx.positional(call)
        if receiver is None or receiver.type != "identifier" or not positional:
            continue
        if not any_identifier_matches(ctx, positional[0], _PASSWORD):
            continue
        hasher = ctx.text(receiver)
        if preceded_by(ctx, call.node, lambda sibling, hasher=hasher: _assigns_hasher(ctx, sibling, hasher)):
            yield call.node


def _assigns_hasher(ctx, statement, hasher: str, allow_new: bool = True) -> bool:
    assignment = statement.named_children[0] if statement.type == "expression_statement" and \
        statement.named_children else None
    if assignment is None or assignment.type != "assignment":
        return False
    left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
    if left is None or right is None or ctx.text(left) != hasher or right.type != "call":
        return False
    call = call_at(ctx, right)
    return call is not None and call.name.startswith("hashlib.") and \
        (_FAST_HASHES.match(call.name.split(".", 1)[1]) is not None or (allow_new and call.name == "hashlib.new"))


# --- CWE-916 ---------------------------------------------------------------------------------------

@rule("cwe-916-python-password-function-fast-hash", LANGUAGE)
def password_function_fast_hash(ctx):
    password = re.compile(_PASSWORD)

    def in_password_function(node) -> bool:
        return any(password.match(name) for name in enclosing_function_names(ctx, node))

    def literal(node) -> bool:
        return node.type == "string" and ctx.is_literal(node)

    for call in ctx.calls_to("hashlib.*"):
        positional = ctx.positional(call)
        if _FAST_HASHES.match(call.name.split(".", 1)[1]) and positional and not literal(positional[0]) and \
                in_password_function(call.node):
            yield call.node
    for call in ctx.calls_to("*.update"):
        receiver, positional = call.receiver, ctx.positional(call)
        if receiver is None or receiver.type != "identifier" or len(positional) != 1 or literal(positional[0]):
            continue
        hasher = ctx.text(receiver)
        if in_password_function(call.node) and preceded_by(
                ctx, call.node, lambda s, hasher=hasher: _assigns_hasher(ctx, s, hasher, allow_new=False)):
            yield call.node


# --- CWE-352 ---------------------------------------------------------------------------------------

@rule("cwe-352-python-csrf-disabled", LANGUAGE)
def csrf_disabled(ctx):
    for definition in ctx.nodes("decorated_definition"):
        for decorator in definition.named_children:
            if decorator.type == "decorator" and decorator.named_children and \
                    ctx.name_of(decorator.named_children[0]) in ("csrf_exempt",
                                                                 "django.views.decorators.csrf.csrf_exempt"):
                yield definition
    for assignment in ctx.nodes("assignment"):
        left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        if left is None or right is None or ctx.text(right) != "False":
            continue
        if left.type == "identifier" and ctx.text(left) == "WTF_CSRF_ENABLED":
            yield assignment
        elif left.type == "subscript":
            value, key = left.child_by_field_name("value"), left.child_by_field_name("subscript")
            if value is not None and value.type == "attribute" and \
                    ctx.text(value.child_by_field_name("attribute")) == "config" and \
                    ctx.string_value(key) in ("WTF_CSRF_ENABLED", "WTF_CSRF_CHECK_DEFAULT"):
                yield assignment


# --- CWE-377 ---------------------------------------------------------------------------------------

@rule("cwe-377-python-insecure-temp-file", LANGUAGE)
def insecure_temp_file(ctx):
    return [call.node for call in ctx.calls_to("tempfile.mktemp", "os.tempnam", "os.tmpnam")]


# --- CWE-1333 --------------------------------------------------------------------------------------

@rule("cwe-1333-python-regex-injection", LANGUAGE)
def regex_injection(ctx):
    spec = TaintSpec(sinks=argument_sinks("re.compile", "re.match", "re.search", "re.fullmatch", "re.findall",
                                          "re.finditer", "re.sub", "re.subn", "re.split"),
                     is_source=request_data, is_sanitizer=sanitizer("re.escape"),
                     parameters_are_sources=True, excluded_parameters=NOT_SELF)
    return tainted_sinks(ctx, spec)


# --- CWE-434 ---------------------------------------------------------------------------------------

@rule("cwe-434-python-unrestricted-upload", LANGUAGE)
def unrestricted_upload(ctx):
    def is_filename(ctx, node) -> bool:
        return node.type == "attribute" and ctx.text(node.child_by_field_name("attribute")) == "filename"

    def sinks(ctx):
        for call in ctx.calls_to("*.save"):
            positional = ctx.positional(call)
            if call.receiver is not None and positional:
                yield positional[0]
    spec = TaintSpec(sinks=sinks, is_source=is_filename,
                     is_sanitizer=sanitizer("secure_filename", "*.secure_filename", "os.path.basename"))
    return tainted_sinks(ctx, spec)


# --- CWE-502 ---------------------------------------------------------------------------------------

_SAFE_LOADERS = ("yaml.SafeLoader", "yaml.CSafeLoader", "yaml.BaseLoader", "yaml.CBaseLoader")


@rule("cwe-502-python-unsafe-deserialization", LANGUAGE)
def unsafe_deserialization(ctx):
    for call in ctx.calls_to("yaml.load", "yaml.load_all"):
        loader = ctx.keyword(call, "Loader")
        positional = ctx.positional(call)
        if loader is None and len(positional) == 2 and ctx.name_of(positional[1]) in _SAFE_LOADERS[:3]:
            continue
        if loader is not None and ctx.name_of(loader) in _SAFE_LOADERS:
            continue
        yield call.node
    yield from (call.node for call in ctx.calls_to(
        "yaml.unsafe_load", "yaml.unsafe_load_all", "pickle.load", "pickle.loads", "pickle.Unpickler",
        "cPickle.load", "cPickle.loads", "_pickle.loads", "dill.load", "dill.loads", "marshal.load",
        "marshal.loads", "jsonpickle.decode", "shelve.open", "pandas.read_pickle"))


# --- CWE-798 ---------------------------------------------------------------------------------------

_SECRET_NAME = re.compile(r"(?i)^(passw(or)?d|passwd|pwd|secret|secret_key|api_key|apikey|access_key|auth_token"
                          r"|private_key)$")


def _non_empty_string(ctx, node) -> bool:
    value = ctx.string_value(node) if node is not None and node.type == "string" else None
    return bool(value)


@rule("cwe-798-python-hardcoded-credential", LANGUAGE)
def hardcoded_credential(ctx):
    for argument in ctx.nodes("keyword_argument"):
        name, value = argument.child_by_field_name("name"), argument.child_by_field_name("value")
        if name is not None and _SECRET_NAME.match(ctx.text(name)) and _non_empty_string(ctx, value) and \
                argument.parent is not None and argument.parent.type == "argument_list":
            yield argument.parent.parent
    for assignment in ctx.nodes("assignment"):
        left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        if left is None or not _non_empty_string(ctx, right):
            continue
        if left.type == "identifier":
            name = ctx.text(left)
        elif left.type == "attribute":
            name = ctx.text(left.child_by_field_name("attribute"))
        elif left.type == "subscript":
            name = ctx.string_value(left.child_by_field_name("subscript")) or ""
        else:
            continue
        if _SECRET_NAME.match(name):
            yield assignment


# --- CWE-918 ---------------------------------------------------------------------------------------

_FIXED_HOST = re.compile(r"^(?![fF]?[\"']https?://[\w.-]+(:\d+)?/)")


@rule("cwe-918-python-ssrf", LANGUAGE)
def ssrf(ctx):
    urls = argument_sinks("requests.*", "httpx.*", "urllib.request.urlopen", "urllib.request.Request",
                          "urllib.urlopen", "urllib2.urlopen")

    def sinks(ctx):
        for node in urls(ctx):
            if _FIXED_HOST.match(ctx.text(node)) and not guarded(ctx, node, lambda n: membership_test(ctx, n)):
                yield node
    spec = TaintSpec(sinks=sinks, is_source=request_data, parameters_are_sources=True, excluded_parameters=NOT_SELF)
    return tainted_sinks(ctx, spec)
