"""In-process twins of the Java Semgrep rules (rules/semgrep/cwe-*.yaml, `languages: [java]`).

Each function carries the id of its Semgrep twin and yields the nodes where that rule
fires; its comment names the Semgrep construct it mirrors.
"""

from __future__ import annotations

import re

from safecoder.analysis.fast.operators import call_at, inside, int_value, preceded_by
from safecoder.analysis.fast.registry import rule
from safecoder.analysis.fast.taint import TaintSpec, tainted_sinks

LANGUAGE = "java"


def _method(ctx, node) -> str:
    name = node.child_by_field_name("name") if node is not None and node.type == "method_invocation" else None
    return ctx.text(name) if name is not None else ""


def _declared_type(ctx, node, name: str) -> str | None:
    """The declared type of local variable or parameter `name` in the method around `node`."""
    method = ctx.enclosing(node, "method_declaration", "constructor_declaration", "lambda_expression")
    scope = method if method is not None else ctx.root
    for candidate in _walk(scope):
        if candidate.type == "formal_parameter":
            if ctx.text(candidate.child_by_field_name("name")) == name:
                return ctx.text(candidate.child_by_field_name("type"))
        elif candidate.type == "local_variable_declaration":
            for declarator in candidate.children_by_field_name("declarator"):
                if ctx.text(declarator.child_by_field_name("name")) == name:
                    return ctx.text(candidate.child_by_field_name("type"))
    return None


def _walk(node):
    yield node
    for child in node.named_children:
        yield from _walk(child)


def _assigned(ctx, statement, name: str | None = None):
    """(name, value) for `x = v;` and `T x = v;` statements (Semgrep `$X = $V;`, `$T $X = $V;`)."""
    if statement.type == "local_variable_declaration":
        for declarator in statement.children_by_field_name("declarator"):
            value = declarator.child_by_field_name("value")
            target = ctx.text(declarator.child_by_field_name("name"))
            if value is not None and (name is None or target == name):
                yield target, value
    elif statement.type == "expression_statement" and statement.named_children and \
            statement.named_children[0].type == "assignment_expression":
        expression = statement.named_children[0]
        left, right = expression.child_by_field_name("left"), expression.child_by_field_name("right")
        if left is not None and right is not None and left.type == "identifier" and \
                (name is None or ctx.text(left) == name):
            yield ctx.text(left), right


# --- CWE-022 ---------------------------------------------------------------------------------------

_ARCHIVE_ENTRIES = ("ZipEntry", "JarEntry", "ArchiveEntry", "TarArchiveEntry", "ZipArchiveEntry")


def _entry_name(ctx, node) -> bool:
    """Semgrep `(ZipEntry $E).getName()` and the other archive entry types."""
    if node.type != "method_invocation" or _method(ctx, node) != "getName":
        return False
    receiver = node.child_by_field_name("object")
    return receiver is not None and receiver.type == "identifier" and \
        _declared_type(ctx, node, ctx.text(receiver)) in _ARCHIVE_ENTRIES


def _starts_with_guard(ctx, node) -> bool:
    def checks(candidate) -> bool:
        if candidate.type != "if_statement":
            return False
        condition = candidate.child_by_field_name("condition")
        return condition is not None and any(
            n.type == "method_invocation" and _method(ctx, n) == "startsWith"
            and n.child_by_field_name("object") is not None and len(ctx.positional(call_at(ctx, n))) == 1
            for n in _walk(condition))
    return preceded_by(ctx, node, checks) or inside(ctx, node, checks)


@rule("cwe-022-java-zip-slip", LANGUAGE)
def zip_slip(ctx):
    def sinks(ctx):
        for call in ctx.calls:
            arguments = ctx.positional(call)
            position = None
            if call.name in ("new FileOutputStream", "new java.io.FileOutputStream", "new FileWriter",
                             "new java.io.FileWriter", "new RandomAccessFile", "new java.io.RandomAccessFile") or \
                    call.raw_name in ("Files.newOutputStream", "Files.write"):
                position = 0
            elif call.raw_name == "Files.copy":
                position = 1
            if position is not None and len(arguments) > position and not _starts_with_guard(ctx, call.node):
                yield arguments[position]
    return tainted_sinks(ctx, TaintSpec(sinks=sinks, is_source=_entry_name))


_PATH_REQUEST_GETTERS = re.compile(r"^(getParameter|getHeader|getPathInfo|getRequestURI|getServletPath)$")
_FILES_ACCESS = ("readAllBytes", "readString", "readAllLines", "lines", "newInputStream", "newBufferedReader",
                 "newOutputStream", "newBufferedWriter", "write", "writeString", "delete", "deleteIfExists", "copy",
                 "move")
_FILE_CONSTRUCTORS = ("FileInputStream", "FileReader", "FileOutputStream", "FileWriter", "RandomAccessFile")


@rule("cwe-022-java-path-injection", LANGUAGE)
def path_injection(ctx):
    def source(ctx, node) -> bool:
        return node.type == "method_invocation" and node.child_by_field_name("object") is not None and \
            bool(_PATH_REQUEST_GETTERS.match(_method(ctx, node)))

    def sanitizer(ctx, node) -> bool:
        """Semgrep: `$P.getFileName()`, `FilenameUtils.getName(...)`."""
        if node.type != "method_invocation" or node.child_by_field_name("object") is None:
            return False
        call = call_at(ctx, node)
        if _method(ctx, node) == "getFileName":
            return call is not None and not ctx.positional(call)
        return call is not None and call.raw_name == "FilenameUtils.getName"

    def sinks(ctx):
        for call in ctx.calls:
            arguments = ctx.positional(call)
            if not arguments or _starts_with_guard(ctx, call.node):
                continue
            if call.name in {f"new {name}" for name in _FILE_CONSTRUCTORS} | \
                    {f"new java.io.{name}" for name in _FILE_CONSTRUCTORS}:
                yield arguments[0]
            elif call.raw_name.startswith("Files.") and call.raw_name[len("Files."):] in _FILES_ACCESS:
                yield arguments[0]
                if call.raw_name == "Files.copy" and len(arguments) > 1:
                    yield arguments[1]
    return tainted_sinks(ctx, TaintSpec(sinks=sinks, is_source=source, is_sanitizer=sanitizer))


# Semgrep: `$A.getCanonicalPath().startsWith($B.getCanonicalPath())`.
@rule("cwe-022-java-partial-path-traversal", LANGUAGE)
def partial_path_traversal(ctx):
    def canonical_path(node) -> bool:
        return node is not None and node.type == "method_invocation" and _method(ctx, node) == "getCanonicalPath" \
            and node.child_by_field_name("object") is not None and not ctx.positional(call_at(ctx, node))

    for node in ctx.nodes("method_invocation"):
        if _method(ctx, node) != "startsWith" or not canonical_path(node.child_by_field_name("object")):
            continue
        arguments = ctx.positional(call_at(ctx, node))
        if len(arguments) == 1 and canonical_path(arguments[0]):
            yield node


# --- CWE-079 ---------------------------------------------------------------------------------------

_REQUEST_GETTERS = re.compile(r"^(getParameter|getParameterValues|getHeader|getQueryString|getPathInfo"
                              r"|getRequestURI|getCookies)$")
_PRINTS = ("print", "println", "write", "append", "printf", "format")
_FILE_READS = ("readAllBytes", "readString", "readAllLines", "lines", "newInputStream", "newBufferedReader")


@rule("cwe-079-java-servlet-xss", LANGUAGE)
def servlet_xss(ctx):
    def source(ctx, node) -> bool:
        return node.type == "method_invocation" and node.child_by_field_name("object") is not None and \
            bool(_REQUEST_GETTERS.match(_method(ctx, node)))

    def sanitizer(ctx, node) -> bool:
        """Semgrep: `$C.$M(...)` with an escaping name, `Encode.$M(...)`, `Files.$READ(...)` (what a file
        holds is not the request's data)."""
        if node.type != "method_invocation" or node.child_by_field_name("object") is None:
            return False
        if re.search(r"(?i)(escape|encode|sanitize)", _method(ctx, node)):
            return True
        receiver = ctx.text(node.child_by_field_name("object"))
        return receiver == "Encode" or (receiver == "Files" and _method(ctx, node) in _FILE_READS)

    def sinks(ctx):
        for call in ctx.calls:
            node = call.node
            arguments = ctx.positional(call)
            if node.type != "method_invocation" or _method(ctx, node) not in _PRINTS or len(arguments) != 1:
                continue
            receiver = node.child_by_field_name("object")
            if receiver is None:
                continue
            if receiver.type == "method_invocation" and _method(ctx, receiver) in ("getWriter", "getOutputStream") and \
                    receiver.child_by_field_name("object") is not None and not ctx.positional(call_at(ctx, receiver)):
                yield arguments[0]
            elif receiver.type == "identifier" and _writer_variable(ctx, node, ctx.text(receiver)):
                yield arguments[0]
    return tainted_sinks(ctx, TaintSpec(sinks=sinks, is_source=source, is_sanitizer=sanitizer))


def _writer_variable(ctx, node, name: str) -> bool:
    return preceded_by(ctx, node, lambda s: any(
                        v.type == "method_invocation" and _method(ctx, v) == "getWriter"
                        and v.child_by_field_name("object") is not None for _, v in _assigned(ctx, s, name)))


# --- CWE-326 ---------------------------------------------------------------------------------------

_WEAK_ALGORITHMS = ("RSA", "DSA", "DH", "DiffieHellman")


@rule("cwe-326-java-weak-key-size", LANGUAGE)
def weak_key_size(ctx):
    for call in ctx.calls:
        node = call.node
        arguments = ctx.positional(call)
        receiver = node.child_by_field_name("object") if node.type == "method_invocation" else None
        if _method(ctx, node) != "initialize" or receiver is None or receiver.type != "identifier" or not arguments:
            continue
        size = _constant_int(ctx, arguments[0])
        if size is None or size >= 2048:
            continue
        name = ctx.text(receiver)
        if preceded_by(ctx, node, lambda s, name=name: any(
                _is_generator(ctx, value) for _, value in _assigned(ctx, s, name))):
            yield node


def _constant_int(ctx, node) -> int | None:
    """An integer literal's value, or that of a name Semgrep's constant propagation resolves: a
    local assigned an integer literal once in the method, or a `static final` field."""
    if node.type == "decimal_integer_literal":
        return int_value(ctx, node)
    if node.type != "identifier":
        return None
    name = ctx.text(node)
    method = ctx.enclosing(node, "method_declaration", "constructor_declaration", "lambda_expression")
    if method is not None:
        values = [value for statement in _walk(method) for _, value in _assigned(ctx, statement, name)]
        updates = [n for n in _walk(method) if n.type == "update_expression" and name in ctx.text(n)]
        declared = _declared_type(ctx, node, name) is not None
        if values or declared:
            if len(values) == 1 and not updates and values[0].type == "decimal_integer_literal":
                return int_value(ctx, values[0])
            return None
    for field in ctx.nodes("field_declaration"):
        modifiers = next((c for c in field.children if c.type == "modifiers"), None)
        words = ctx.text(modifiers).split() if modifiers is not None else []
        if "static" not in words or "final" not in words:
            continue
        for declarator in field.children_by_field_name("declarator"):
            value = declarator.child_by_field_name("value")
            if ctx.text(declarator.child_by_field_name("name")) == name and value is not None and \
                    value.type == "decimal_integer_literal":
                return int_value(ctx, value)
    return None


def _is_generator(ctx, value) -> bool:
    if value.type != "method_invocation" or _method(ctx, value) != "getInstance":
        return False
    call = call_at(ctx, value)
    arguments = ctx.positional(call) if call is not None else []
    return call is not None and call.raw_name == "KeyPairGenerator.getInstance" and bool(arguments) and \
        ctx.string_value(arguments[0]) in _WEAK_ALGORITHMS


# --- CWE-352 ---------------------------------------------------------------------------------------

@rule("cwe-352-java-spring-csrf-disabled", LANGUAGE)
def spring_csrf_disabled(ctx):
    for call in ctx.calls:
        node = call.node
        if node.type != "method_invocation":
            continue
        arguments = ctx.positional(call)
        receiver = node.child_by_field_name("object")
        if _method(ctx, node) == "disable" and not arguments and receiver is not None and \
                _method(ctx, receiver) == "csrf" and receiver.child_by_field_name("object") is not None and \
                not ctx.positional(call_at(ctx, receiver)):
            yield node
        elif _method(ctx, node) in ("ignoringAntMatchers", "ignoringRequestMatchers") and receiver is not None and \
                [ctx.text(a) for a in arguments] == ['"/**"'] and _method(ctx, receiver) == "csrf" and \
                receiver.child_by_field_name("object") is not None and not ctx.positional(call_at(ctx, receiver)):
            yield node
        elif _method(ctx, node) == "csrf" and receiver is not None and len(arguments) == 1:
            argument = arguments[0]
            if argument.type == "method_reference" and ctx.text(argument).replace(" ", "") in (
                    "AbstractHttpConfigurer::disable", "CsrfConfigurer::disable"):
                yield node
            elif argument.type == "lambda_expression" and _disabling_lambda(ctx, argument):
                yield node


def _disabling_lambda(ctx, lambda_node) -> bool:
    """Semgrep: `$C -> $C.disable()`, `$C -> $C.ignoringAntMatchers("/**")` (or ignoringRequestMatchers)."""
    parameters = lambda_node.child_by_field_name("parameters")
    body = lambda_node.child_by_field_name("body")
    if parameters is None or body is None or body.type != "method_invocation":
        return False
    names = [ctx.text(p) for p in _walk(parameters) if p.type == "identifier"]
    receiver = body.child_by_field_name("object")
    if len(names) != 1 or receiver is None or ctx.text(receiver) != names[0]:
        return False
    arguments = [ctx.text(a) for a in ctx.positional(call_at(ctx, body))]
    return (_method(ctx, body) == "disable" and not arguments) or \
        (_method(ctx, body) in ("ignoringAntMatchers", "ignoringRequestMatchers") and arguments == ['"/**"'])


# --- CWE-611 ---------------------------------------------------------------------------------------

_FACTORIES = ("DocumentBuilderFactory", "SAXParserFactory", "XMLInputFactory", "TransformerFactory")
_SAFE_FEATURES = {("http://apache.org/xml/features/disallow-doctype-decl", "true"),
                  ("http://xml.org/sax/features/external-general-entities", "false")}


@rule("cwe-611-java-xxe", LANGUAGE)
def xxe(ctx):
    for call in ctx.calls:
        node = call.node
        if _method(ctx, node) not in ("parse", "createXMLStreamReader", "transform") or \
                node.child_by_field_name("object") is None:
            continue
        factories = []
        preceded_by(ctx, node, lambda s, found=factories: _collect_factory(ctx, s, found))
        if any(not _secured(ctx, statement, name) for statement, name in factories) or _unconfigured_chain(ctx, node):
            yield node


def _unconfigured_chain(ctx, node) -> bool:
    """Semgrep: `$FACTORY.newInstance().$NEW(...).parse(...)` (and `.transform(...)`),
    `$FACTORY.newInstance().createXMLStreamReader(...)`."""
    receiver = node.child_by_field_name("object")
    if _method(ctx, node) != "createXMLStreamReader":
        if receiver is None or receiver.type != "method_invocation":
            return False
        receiver = receiver.child_by_field_name("object")
    if receiver is None or receiver.type != "method_invocation" or _method(ctx, receiver) != "newInstance":
        return False
    factory = receiver.child_by_field_name("object")
    return factory is not None and ctx.text(factory) in _FACTORIES and not ctx.positional(call_at(ctx, receiver))


def _collect_factory(ctx, statement, found: list) -> bool:
    for name, value in _assigned(ctx, statement):
        if value.type == "method_invocation" and _method(ctx, value) == "newInstance":
            receiver = value.child_by_field_name("object")
            if receiver is not None and ctx.text(receiver) in _FACTORIES and not ctx.positional(call_at(ctx, value)):
                found.append((statement, name))
    return False


def _secured(ctx, statement, name: str) -> bool:
    sibling = statement.next_named_sibling
    while sibling is not None:
        expression = sibling.named_children[0] if sibling.type == "expression_statement" and \
            sibling.named_children else None
        if expression is not None and expression.type == "method_invocation" and \
                ctx.text(expression.child_by_field_name("object") or expression) == name:
            arguments = [ctx.text(a) for a in ctx.positional(call_at(ctx, expression))]
            method = _method(ctx, expression)
            if method == "setFeature" and len(arguments) == 2 and \
                    (arguments[0].strip('"'), arguments[1]) in _SAFE_FEATURES and arguments[0].startswith('"'):
                return True
            if method == "setExpandEntityReferences" and arguments == ["false"]:
                return True
            if method == "setAttribute" and arguments == ["XMLConstants.ACCESS_EXTERNAL_DTD", '""']:
                return True
        sibling = sibling.next_named_sibling
    return False
