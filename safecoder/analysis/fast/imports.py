"""Local names bound by imports, so that calls resolve to the module they come from.

Python `import a.b as c`, `from m import n as k`; JavaScript `require("m")` (plain,
destructured, or `.member`) and ES `import` forms; Go import specs (the package's last
path segment or its alias names the full import path); Java single-type imports. Ruby
and C have no import that renames a callee. Output: local name -> qualified name.

Like Semgrep's own name resolution this is per file and ignores shadowing by later
assignments.
"""

from __future__ import annotations


def import_aliases(ctx) -> dict[str, str]:
    handler = _HANDLERS.get(ctx.language)
    return handler(ctx) if handler else {}


def _python(ctx) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for statement in ctx.nodes("import_statement"):
        for name in statement.children_by_field_name("name"):
            if name.type == "aliased_import":
                aliases[ctx.text(name.child_by_field_name("alias"))] = ctx.text(name.child_by_field_name("name"))
            else:
                first = ctx.text(name).split(".")[0]
                aliases.setdefault(first, first)
    for statement in ctx.nodes("import_from_statement"):
        module_node = statement.child_by_field_name("module_name")
        if module_node is None:
            continue
        module = ctx.text(module_node).lstrip(".")
        for name in statement.children_by_field_name("name"):
            if name.type == "aliased_import":
                target = ctx.text(name.child_by_field_name("name"))
                aliases[ctx.text(name.child_by_field_name("alias"))] = f"{module}.{target}" if module else target
            else:
                target = ctx.text(name)
                aliases[target.split(".")[0]] = f"{module}.{target}" if module else target
    return aliases


def _module_name(ctx, string_node) -> str:
    value = ctx.text(string_node).strip("'\"`")
    return value[5:] if value.startswith("node:") else value


def _require_target(ctx, node) -> str | None:
    """`require("m")` -> "m", `require("m").a.b` -> "m.a.b", else None."""
    if node is None:
        return None
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is not None and ctx.text(function) == "require" and arguments is not None:
            strings = [child for child in arguments.named_children if child.type == "string"]
            return _module_name(ctx, strings[0]) if strings else None
        return None
    if node.type == "member_expression":
        inner = _require_target(ctx, node.child_by_field_name("object"))
        prop = node.child_by_field_name("property")
        return f"{inner}.{ctx.text(prop)}" if inner and prop is not None else None
    if node.type == "await_expression" and node.named_child_count:
        return _require_target(ctx, node.named_children[0])
    return None


def _javascript(ctx) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for declarator in ctx.nodes("variable_declarator"):
        target = _require_target(ctx, declarator.child_by_field_name("value"))
        name = declarator.child_by_field_name("name")
        if target is None or name is None:
            continue
        if name.type == "identifier":
            aliases[ctx.text(name)] = target
        elif name.type == "object_pattern":
            for part in name.named_children:
                if part.type == "shorthand_property_identifier_pattern":
                    aliases[ctx.text(part)] = f"{target}.{ctx.text(part)}"
                elif part.type == "pair_pattern":
                    key, value = part.child_by_field_name("key"), part.child_by_field_name("value")
                    if key is not None and value is not None and value.type == "identifier":
                        aliases[ctx.text(value)] = f"{target}.{ctx.text(key)}"
    for statement in ctx.nodes("import_statement"):
        source = statement.child_by_field_name("source")
        if source is None:
            continue
        module = _module_name(ctx, source)
        for clause in statement.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    aliases[ctx.text(part)] = module
                elif part.type == "namespace_import":
                    names = [child for child in part.named_children if child.type == "identifier"]
                    if names:
                        aliases[ctx.text(names[0])] = module
                elif part.type == "named_imports":
                    for specifier in part.named_children:
                        if specifier.type != "import_specifier":
                            continue
                        name = specifier.child_by_field_name("name")
                        alias = specifier.child_by_field_name("alias") or name
                        aliases[ctx.text(alias)] = f"{module}.{ctx.text(name)}"
    return aliases


def _go(ctx) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for spec in ctx.nodes("import_spec"):
        path_node = spec.child_by_field_name("path")
        if path_node is None:
            continue
        path = ctx.text(path_node).strip('"`')
        alias = spec.child_by_field_name("name")
        local = ctx.text(alias) if alias is not None else path.rsplit("/", 1)[-1]
        if local not in ("_", "."):
            aliases[local] = path
    return aliases


def _java(ctx) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for declaration in ctx.nodes("import_declaration"):
        text = ctx.text(declaration).removeprefix("import").strip().rstrip(";").strip()
        if text.startswith("static ") or text.endswith("*"):
            continue
        aliases[text.rsplit(".", 1)[-1]] = text
    return aliases


_HANDLERS = {"python": _python, "javascript": _javascript, "go": _go, "java": _java}
