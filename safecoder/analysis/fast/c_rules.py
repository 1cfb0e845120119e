"""In-process twins of the C/C++ Semgrep rules (rules/semgrep/cwe-*.yaml, `languages: [c]`).

Each function carries the id of its Semgrep twin and yields the nodes where that rule
fires; its comment names the Semgrep construct it mirrors.
"""

from __future__ import annotations

import re

from safecoder.analysis.fast.operators import call_at, inside, int_value, preceded_by
from safecoder.analysis.fast.registry import rule
from safecoder.analysis.fast.taint import TaintSpec, tainted_sinks

LANGUAGE = "c"
_SIGNED = re.compile(r"^(int|long|short|long long|signed|signed int)$")


# --- shared helpers ------------------------------------------------------------------------------

def _declared_name(ctx, declarator) -> str | None:
    """The identifier of `x` or `*x` declarators (Semgrep's `$T $X` / `$T *$X`)."""
    while declarator is not None and declarator.type == "pointer_declarator":
        declarator = declarator.child_by_field_name("declarator")
    return ctx.text(declarator) if declarator is not None and declarator.type == "identifier" else None


def _initialisations(ctx, statement):
    """(name, value, is_declaration) for `T x = v;` and `x = v;` statements."""
    if statement.type == "declaration":
        for child in statement.named_children:
            if child.type == "init_declarator":
                name = _declared_name(ctx, child.child_by_field_name("declarator"))
                value = child.child_by_field_name("value")
                if name is not None and value is not None:
                    yield name, value, True
    elif statement.type == "expression_statement" and statement.named_children:
        expression = statement.named_children[0]
        if expression.type == "assignment_expression" and ctx.text(_operator(expression)) == "=":
            left, right = expression.child_by_field_name("left"), expression.child_by_field_name("right")
            if left is not None and left.type == "identifier" and right is not None:
                yield ctx.text(left), right, False


def _operator(node):
    return node.child_by_field_name("operator") or next((c for c in node.children if not c.is_named), node)


def _op(ctx, node) -> str:
    return ctx.text(_operator(node))


def _uncast(node):
    while node is not None and node.type in ("cast_expression", "parenthesized_expression"):
        node = node.child_by_field_name("value") or (node.named_children[-1] if node.named_children else None)
    return node


def _called(ctx, node, names: tuple[str, ...] | re.Pattern) -> str | None:
    node = node if node is not None and node.type == "call_expression" else None
    if node is None:
        return None
    call = call_at(ctx, node)
    if call is None:
        return None
    if isinstance(names, re.Pattern):
        return call.name if names.match(call.name) else None
    return call.name if call.name in names else None


def _if_condition_has(ctx, node, accept) -> bool:
    if node.type != "if_statement":
        return False
    condition = node.child_by_field_name("condition")
    return condition is not None and _deep_any(condition, accept)


def _deep_any(node, accept) -> bool:
    if accept(node):
        return True
    return any(_deep_any(child, accept) for child in node.named_children)


def _guarded(ctx, node, accept) -> bool:
    """Semgrep `pattern-not-inside: if (<... COND ...>) $S; ...` (before) and `if (...) $S;` (around)."""
    def is_guard(candidate) -> bool:
        return _if_condition_has(ctx, candidate, accept)
    return preceded_by(ctx, node, is_guard) or inside(ctx, node, is_guard)


def _comparison(ctx, node, left: str | None, op: str, right: str | None) -> bool:
    if node.type != "binary_expression" or _op(ctx, node) != op:
        return False
    lhs, rhs = node.child_by_field_name("left"), node.child_by_field_name("right")
    return (left is None or (lhs is not None and ctx.text(lhs) == left)) and \
        (right is None or (rhs is not None and ctx.text(rhs) == right))


def _mentions(ctx, name: str):
    return lambda node: node.type == "identifier" and ctx.text(node) == name


# --- CWE-119 / CWE-125: index without a lower bound check ----------------------------------------

def _index_sources(ctx, subscript, name: str) -> bool:
    function = ctx.enclosing(subscript, "function_definition")
    if function is not None:
        declarator = function.child_by_field_name("declarator")
        while declarator is not None and declarator.type != "function_declarator":
            declarator = declarator.child_by_field_name("declarator")
        parameters = declarator.child_by_field_name("parameters") if declarator is not None else None
        for parameter in parameters.named_children if parameters is not None else ():
            if parameter.type != "parameter_declaration":
                continue
            inner = parameter.child_by_field_name("declarator")
            kind = parameter.child_by_field_name("type")
            if inner is not None and inner.type == "identifier" and ctx.text(inner) == name and \
                    kind is not None and _SIGNED.match(" ".join(ctx.text(kind).split())):
                return True
    return preceded_by(ctx, subscript, lambda statement: _reads_with_scanf(ctx, statement, name))


def _reads_with_scanf(ctx, statement, name: str) -> bool:
    if statement.type != "expression_statement" or not statement.named_children:
        return False
    expression = statement.named_children[0]
    if _called(ctx, expression, ("scanf",)) is None:
        return False
    arguments = ctx.positional(call_at(ctx, expression))
    return len(arguments) == 2 and arguments[1].type == "pointer_expression" and \
        ctx.text(arguments[1]).replace(" ", "") == f"&{name}"


def _lower_bound_check(ctx, name: str):
    def accept(node) -> bool:
        return (_comparison(ctx, node, name, "<", "0") or _comparison(ctx, node, name, ">=", "0")
                or _comparison(ctx, node, "0", "<=", name) or _comparison(ctx, node, "0", ">", name)
                or _comparison(ctx, node, name, ">", "-1"))
    return accept


def _unchecked_index(ctx):
    for subscript in ctx.nodes("subscript_expression"):
        index = subscript.child_by_field_name("index")
        if index is None or index.type != "identifier":
            continue
        name = ctx.text(index)
        if _index_sources(ctx, subscript, name) and not _guarded(ctx, subscript, _lower_bound_check(ctx, name)):
            yield subscript


@rule("cwe-125-c-unchecked-index", LANGUAGE)
def unchecked_index_read(ctx):
    return _unchecked_index(ctx)


@rule("cwe-119-c-unchecked-index", LANGUAGE)
def unchecked_index(ctx):
    return _unchecked_index(ctx)


# --- CWE-119: copying more than a string literal holds --------------------------------------------

@rule("cwe-119-c-copy-beyond-source", LANGUAGE)
def copy_beyond_source(ctx):
    for call in ctx.calls_to("memcpy", "memmove"):
        arguments = ctx.positional(call)
        if len(arguments) != 3 or arguments[1].type != "identifier":
            continue
        destination, source = ctx.text(arguments[0]), ctx.text(arguments[1])
        too_much = (arguments[2].type == "sizeof_expression" and _sizeof_of(ctx, arguments[2]) == destination) or \
            (arguments[2].type == "number_literal" and (int_value(ctx, arguments[2]) or 0) >= 64)
        if too_much and preceded_by(ctx, call.node, lambda s, source=source: any(
                name == source and is_declaration and value.type == "string_literal"
                for name, value, is_declaration in _initialisations(ctx, s))):
            yield call.node


def _sizeof_of(ctx, node) -> str:
    inner = node.child_by_field_name("value") or (node.named_children[0] if node.named_children else None)
    while inner is not None and inner.type == "parenthesized_expression" and inner.named_children:
        inner = inner.named_children[0]
    return ctx.text(inner) if inner is not None else ""


# --- CWE-190 ---------------------------------------------------------------------------------------

@rule("cwe-190-c-random-arithmetic", LANGUAGE)
def random_arithmetic(ctx):
    def sinks(ctx):
        for node in ctx.nodes("binary_expression"):
            if _op(ctx, node) in ("+", "*"):
                yield node

    def source(ctx, node) -> bool:
        return _called(ctx, node, ("rand", "random")) is not None and not ctx.positional(call_at(ctx, node))

    def sanitizer(ctx, node) -> bool:
        return node.type == "binary_expression" and _op(ctx, node) in ("%", "&")
    return tainted_sinks(ctx, TaintSpec(sinks=sinks, is_source=source, is_sanitizer=sanitizer))


_PARSERS = ("atoi", "atol", "atoll", "strtol", "strtoll", "strtoul", "strtoull")


@rule("cwe-190-c-input-arithmetic", LANGUAGE)
def input_arithmetic(ctx):
    def sinks(ctx):
        for node in ctx.nodes("binary_expression"):
            if _op(ctx, node) in ("+", "*"):
                for operand in (node.child_by_field_name("left"), node.child_by_field_name("right")):
                    if operand is not None and not _range_checked(ctx, node, ctx.text(operand)):
                        yield operand
        for node in ctx.nodes("assignment_expression"):
            left = node.child_by_field_name("left")
            if _op(ctx, node) in ("+=", "*=") and left is not None and not _range_checked(ctx, node, ctx.text(left)):
                yield left
    return tainted_sinks(ctx, TaintSpec(sinks=sinks, is_source=lambda c, n: _called(c, n, _PARSERS) is not None))


# The bare limit of an integer type, perhaps cast: `v > INT_MAX` and `v < INT_MIN` are never
# true for a value of that type, and a wider value that passes them still overflows the
# limit's type once anything is added, so they are no range check (Semgrep: the
# metavariable-regex on $E in cwe-190.yaml).
_DEAD_MAX = re.compile(r"^(\(\s*[a-z_][a-z0-9_ ]*\)\s*)?"
                       r"(U?(INT|LONG|LLONG|SHRT|CHAR|INTMAX|INT8|INT16|INT32|INT64)|SCHAR|SIZE|SSIZE|PTRDIFF)_MAX$")
_DEAD_MIN = re.compile(r"^(\(\s*[a-z_][a-z0-9_ ]*\)\s*)?"
                       r"(INT|LONG|LLONG|SHRT|CHAR|SCHAR|INTMAX|INT8|INT16|INT32|INT64|PTRDIFF)_MIN$")


def _range_checked(ctx, node, name: str) -> bool:
    """Semgrep: `$RET $F(...) { ... if (<... $V > $E ...>) $S; ... }` and the other comparisons,
    less those that can never be true (`$V > INT_MAX`, `INT_MAX < $V`, `$V < INT_MIN`, `INT_MIN > $V`)."""
    function = ctx.enclosing(node, "function_definition")
    body = function.child_by_field_name("body") if function is not None else None
    if body is None:
        return False

    def compares(candidate) -> bool:
        if candidate.type != "binary_expression":
            return False
        op = _op(ctx, candidate)
        left, right = candidate.child_by_field_name("left"), candidate.child_by_field_name("right")
        if left is None or right is None:
            return False
        if ctx.text(left) == name and op in (">", ">=", "<", "<="):
            dead = _DEAD_MAX if op == ">" else _DEAD_MIN if op == "<" else None
            return dead is None or not dead.match(ctx.text(right))
        if ctx.text(right) == name and op in (">", "<"):
            return not (_DEAD_MIN if op == ">" else _DEAD_MAX).match(ctx.text(left))
        return False
    return any(_if_condition_has(ctx, statement, compares) for statement in body.named_children)


@rule("cwe-190-c-int-accumulator", LANGUAGE)
def int_accumulator(ctx):
    for node in ctx.nodes("assignment_expression"):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier":
            continue
        name, op = ctx.text(left), _op(ctx, node)
        adds_call = (op == "+=" and right.type == "call_expression") or (
            op == "=" and right.type == "binary_expression" and _op(ctx, right) == "+"
            and ctx.text(right.child_by_field_name("left")) == name
            and right.child_by_field_name("right").type == "call_expression")
        if adds_call and preceded_by(ctx, node, lambda s, name=name: _declares_int(ctx, s, name)):
            yield node


def _declares_int(ctx, statement, name: str) -> bool:
    if statement.type != "declaration":
        return False
    kind = statement.child_by_field_name("type")
    if kind is None or ctx.text(kind) != "int" or any(
            child.type in ("type_qualifier", "storage_class_specifier") for child in statement.named_children):
        return False
    for child in statement.named_children:
        target = child.child_by_field_name("declarator") if child.type == "init_declarator" else child
        if target is not None and target.type == "identifier" and ctx.text(target) == name:
            return True
    return False


# --- CWE-416 ---------------------------------------------------------------------------------------

@rule("cwe-416-c-use-after-free", LANGUAGE)
def use_after_free(ctx):
    for call in ctx.calls_to("free"):
        statement = call.node.parent
        arguments = ctx.positional(call)
        if statement is None or statement.type != "expression_statement" or len(arguments) != 1 or \
                arguments[0].type != "identifier":
            continue
        name = ctx.text(arguments[0])
        later = []
        sibling = statement.next_named_sibling
        while sibling is not None:
            later.append(sibling)
            sibling = sibling.next_named_sibling
        if any(not is_declaration and assigned == name for s in later
               for assigned, _, is_declaration in _initialisations(ctx, s)):
            continue
        for node in later:
            yield from _pointer_uses(ctx, node, name, skip_free=True)


def _pointer_uses(ctx, node, name: str, skip_free: bool = False, functions: tuple[str, ...] | None = None):
    """Semgrep: `$F(..., $P, ...)`, `$P[$I]`, `*$P`, `$P->$FLD` for the pointer `name`."""
    kind = node.type
    if kind == "call_expression":
        call = call_at(ctx, node)
        is_free = call is not None and call.name == "free"
        if not (skip_free and is_free) and call is not None and \
                (functions is None or call.name in functions) and \
                any(argument.type == "identifier" and ctx.text(argument) == name for argument in ctx.positional(call)):
            yield node
        if skip_free and is_free and any(ctx.text(a) == name for a in ctx.positional(call)):
            return
    elif kind == "subscript_expression":
        target = node.child_by_field_name("argument")
        if target is not None and target.type == "identifier" and ctx.text(target) == name:
            yield node
    elif kind == "pointer_expression" and _op(ctx, node) == "*":
        target = node.child_by_field_name("argument")
        if target is not None and target.type == "identifier" and ctx.text(target) == name:
            yield node
    elif kind == "field_expression" and _op(ctx, node) == "->":
        target = node.child_by_field_name("argument")
        if target is not None and target.type == "identifier" and ctx.text(target) == name:
            yield node
    for child in node.named_children:
        yield from _pointer_uses(ctx, child, name, skip_free, functions)


# --- CWE-476 ---------------------------------------------------------------------------------------

_DEREFERENCING = ("strcpy", "strncpy", "strcat", "strncat", "memcpy", "memmove", "memset", "sprintf", "snprintf",
                  "fgets", "fread", "gets", "strlen")


@rule("cwe-476-c-unchecked-allocation", LANGUAGE)
def unchecked_allocation(ctx):
    for statement in ctx.nodes("declaration", "expression_statement"):
        for name, value, _ in _initialisations(ctx, statement):
            if _called(ctx, _uncast(value), ("malloc", "calloc", "realloc")) is None:
                continue
            sibling = statement.next_named_sibling
            while sibling is not None:
                for use in _allocation_uses(ctx, sibling, name):
                    if not _null_checked(ctx, use, name):
                        yield use
                sibling = sibling.next_named_sibling


def _allocation_uses(ctx, node, name: str):
    # `$F(..., $P, ...)` counts only for the functions that dereference their argument.
    yield from _pointer_uses(ctx, node, name, functions=_DEREFERENCING)


def _null_checked(ctx, node, name: str) -> bool:
    def is_assert(statement) -> bool:
        if statement.type != "expression_statement" or not statement.named_children:
            return False
        expression = statement.named_children[0]
        return _called(ctx, expression, ("assert",)) is not None and _deep_any(expression, _mentions(ctx, name))
    return _guarded(ctx, node, _mentions(ctx, name)) or preceded_by(ctx, node, is_assert)


# --- CWE-611 ---------------------------------------------------------------------------------------

@rule("cwe-611-c-libxml2-external-entities", LANGUAGE)
def libxml2_external_entities(ctx):
    risky = ("XML_PARSE_NOENT", "XML_PARSE_DTDLOAD")
    for call in ctx.calls:
        arguments = ctx.positional(call)
        if arguments and _deep_any(arguments[-1], lambda n: n.type == "identifier" and ctx.text(n) in risky):
            yield call.node
        elif call.name == "xmlSubstituteEntitiesDefault" and len(arguments) == 1 and ctx.text(arguments[0]) == "1":
            yield call.node


# --- CWE-676 ---------------------------------------------------------------------------------------

@rule("cwe-676-c-gets", LANGUAGE)
def gets_call(ctx):
    return [call.node for call in ctx.calls_to("gets")]


# --- CWE-732 ---------------------------------------------------------------------------------------

_WORLD_WRITABLE = re.compile(r"(^0[0-7]*[2367]$|S_IWOTH|S_IRWXO|S_IRWXU\s*\|\s*S_IRWXG\s*\|\s*S_IRWXO)")
_MODE_ARITY = {"open": 3, "openat": 4, "creat": 2, "chmod": 2, "fchmod": 2, "mkdir": 2}


@rule("cwe-732-c-world-writable", LANGUAGE)
def world_writable(ctx):
    for call in ctx.calls_to(*_MODE_ARITY):
        arguments = ctx.positional(call)
        if len(arguments) == _MODE_ARITY[call.name] and _WORLD_WRITABLE.search(ctx.text(arguments[-1])):
            yield call.node


_CREATES = re.compile(r"\bO_(CREAT|TMPFILE)\b")
_FLAGS_ARITY = {"open": 2, "openat": 3}


# Semgrep: `open($F, $FLAGS)` / `openat($D, $F, $FLAGS)` with $FLAGS naming O_CREAT or O_TMPFILE.
@rule("cwe-732-c-open-create-without-mode", LANGUAGE)
def open_create_without_mode(ctx):
    for call in ctx.calls_to(*_FLAGS_ARITY):
        arguments = ctx.positional(call)
        if len(arguments) == _FLAGS_ARITY[call.name] and _CREATES.search(ctx.text(arguments[-1])):
            yield call.node


# --- CWE-787 ---------------------------------------------------------------------------------------

_FLOAT_FORMAT = re.compile(r"%[-+ #0-9.*]*l?[fFeEgG]")


@rule("cwe-787-c-sprintf-float-overflow", LANGUAGE)
def sprintf_float_overflow(ctx):
    for call in ctx.calls_to("sprintf"):
        arguments = ctx.positional(call)
        if len(arguments) < 2 or arguments[0].type != "identifier" or arguments[1].type != "string_literal":
            continue
        if not _FLOAT_FORMAT.search(ctx.string_value(arguments[1]) or ""):
            continue
        buffer = ctx.text(arguments[0])
        if preceded_by(ctx, call.node, lambda s, buffer=buffer: _small_char_array(ctx, s, buffer)):
            yield call.node


def _small_char_array(ctx, statement, name: str) -> bool:
    if statement.type != "declaration" or ctx.text(statement.child_by_field_name("type") or statement) != "char":
        return False
    for child in statement.named_children:
        if child.type == "array_declarator":
            target, size = child.child_by_field_name("declarator"), child.child_by_field_name("size")
            value = int_value(ctx, size) if size is not None and size.type == "number_literal" else None
            if target is not None and ctx.text(target) == name and value is not None and value < 320:
                return True
    return False


_SIZE_FUNCTIONS = re.compile(r"^(strlen|strnlen|sizeof|min|max|MIN|MAX)$")


@rule("cwe-787-c-unchecked-copy-size", LANGUAGE)
def unchecked_copy_size(ctx):
    for call in ctx.calls_to("memcpy", "memmove"):
        arguments = ctx.positional(call)
        if len(arguments) != 3:
            continue
        size = arguments[2]
        if _deep_any(size, lambda n: n.type == "call_expression" and (inner := call_at(ctx, n)) is not None
                     and not _SIZE_FUNCTIONS.match(inner.name)):
            yield call.node
            continue
        names = {ctx.text(n) for n in _identifiers(size)}
        for name in names:
            if preceded_by(ctx, call.node, lambda s, name=name: _assigned_from_call(ctx, s, name)) and \
                    not _guarded(ctx, call.node, _mentions(ctx, name)):
                yield call.node
                break


def _identifiers(node):
    if node.type == "identifier":
        yield node
    for child in node.named_children:
        yield from _identifiers(child)


def _assigned_from_call(ctx, statement, name: str) -> bool:
    for assigned, value, _ in _initialisations(ctx, statement):
        if assigned == name and value.type == "call_expression":
            call = call_at(ctx, value)
            if call is not None and not _SIZE_FUNCTIONS.match(call.name):
                return True
    return False


@rule("cwe-787-c-unguarded-backward-write", LANGUAGE)
def unguarded_backward_write(ctx):
    for loop in ctx.nodes("while_statement"):
        condition = loop.child_by_field_name("condition")
        if condition is None:
            continue
        counters = {ctx.text(index.child_by_field_name("left")) for index in _backward_indexes(ctx, condition)}
        for counter in counters:
            guarded = _deep_any(condition, lambda n, c=counter: (
                _comparison(ctx, n, c, ">", "0") or _comparison(ctx, n, "0", "<", c)
                or _comparison(ctx, n, c, ">=", "1") or _comparison(ctx, n, c, "!=", "0")))
            inner = condition.named_children[0] if condition.type == "parenthesized_expression" and \
                condition.named_children else condition
            if inner.type == "binary_expression" and _op(ctx, inner) == "&&" and \
                    ctx.text(inner.child_by_field_name("left")) == counter:
                guarded = True
            if not guarded:
                yield loop
                break


def _backward_indexes(ctx, node):
    if node.type == "subscript_expression":
        index = node.child_by_field_name("index")
        if index is not None and index.type == "binary_expression" and _op(ctx, index) == "-" and \
                ctx.text(index.child_by_field_name("right")) == "1" and \
                index.child_by_field_name("left").type == "identifier":
            yield index
    for child in node.named_children:
        yield from _backward_indexes(ctx, child)
