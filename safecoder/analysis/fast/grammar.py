"""What the tree-sitter node types of each language mean to the in-process rules.

One `GrammarMap` per language id: which node types are calls, string literals,
identifiers, assignments, functions, branches and loops, and which (node type, field)
pairs name something other than a variable (an attribute name, a keyword argument's
name). `context` and `taint` read only these tables, so the same helpers serve all six
languages.

This module holds data only.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GrammarMap:
    calls: frozenset[str]
    strings: frozenset[str]                  # literal strings, possibly with interpolation
    interpolations: frozenset[str]           # children that make a string dynamic
    identifiers: frozenset[str]
    functions: frozenset[str]
    closures: frozenset[str]                 # functions that see the enclosing taint state (lambdas)
    branches: frozenset[str]
    loops: frozenset[str]
    # (node type, field of the assigned name, field of the value); "*" = all named children but the last
    assignments: tuple[tuple[str, str, str], ...]
    augmented: frozenset[str]
    not_references: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    comments: frozenset[str] = frozenset({"comment"})


PYTHON = GrammarMap(
    calls=frozenset({"call"}),
    strings=frozenset({"string", "concatenated_string"}),
    interpolations=frozenset({"interpolation"}),
    identifiers=frozenset({"identifier"}),
    functions=frozenset({"function_definition", "lambda"}),
    closures=frozenset({"lambda"}),
    branches=frozenset({"if_statement", "match_statement", "conditional_expression"}),
    loops=frozenset({"for_statement", "while_statement"}),
    assignments=(("assignment", "left", "right"), ("named_expression", "name", "value"),
                 ("for_statement", "left", "right"), ("for_in_clause", "left", "right"),
                 ("as_pattern", "alias", "*")),
    augmented=frozenset({"augmented_assignment"}),
    not_references=frozenset({("attribute", "attribute"), ("keyword_argument", "name"),
                              ("function_definition", "name"), ("default_parameter", "name"),
                              ("typed_parameter", "type"), ("class_definition", "name")}),
)

JAVASCRIPT = GrammarMap(
    calls=frozenset({"call_expression", "new_expression"}),
    strings=frozenset({"string", "template_string"}),
    interpolations=frozenset({"template_substitution"}),
    identifiers=frozenset({"identifier", "shorthand_property_identifier"}),
    functions=frozenset({"function_declaration", "function_expression", "function", "arrow_function",
                         "method_definition", "generator_function_declaration", "generator_function"}),
    closures=frozenset({"arrow_function", "function_expression", "function"}),
    branches=frozenset({"if_statement", "switch_statement", "ternary_expression"}),
    loops=frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"}),
    assignments=(("variable_declarator", "name", "value"), ("assignment_expression", "left", "right"),
                 ("for_in_statement", "left", "right")),
    augmented=frozenset({"augmented_assignment_expression"}),
    not_references=frozenset({("member_expression", "property"), ("pair", "key"),
                              ("function_declaration", "name"), ("method_definition", "name"),
                              ("jsx_attribute", "name"), ("jsx_opening_element", "name"),
                              ("jsx_closing_element", "name"), ("jsx_self_closing_element", "name")}),
)

GO = GrammarMap(
    calls=frozenset({"call_expression"}),
    strings=frozenset({"interpreted_string_literal", "raw_string_literal"}),
    interpolations=frozenset(),
    identifiers=frozenset({"identifier"}),
    functions=frozenset({"function_declaration", "method_declaration", "func_literal"}),
    closures=frozenset({"func_literal"}),
    branches=frozenset({"if_statement", "expression_switch_statement", "type_switch_statement",
                        "select_statement"}),
    loops=frozenset({"for_statement"}),
    assignments=(("short_var_declaration", "left", "right"), ("assignment_statement", "left", "right"),
                 ("var_spec", "name", "value"), ("range_clause", "left", "right")),
    augmented=frozenset(),
    not_references=frozenset({("selector_expression", "field"), ("keyed_element", "key"),
                              ("function_declaration", "name"), ("method_declaration", "name")}),
)

JAVA = GrammarMap(
    calls=frozenset({"method_invocation", "object_creation_expression"}),
    strings=frozenset({"string_literal"}),
    interpolations=frozenset(),
    identifiers=frozenset({"identifier"}),
    functions=frozenset({"method_declaration", "constructor_declaration", "lambda_expression"}),
    closures=frozenset({"lambda_expression"}),
    branches=frozenset({"if_statement", "switch_expression", "ternary_expression"}),
    loops=frozenset({"for_statement", "enhanced_for_statement", "while_statement", "do_statement"}),
    assignments=(("variable_declarator", "name", "value"), ("assignment_expression", "left", "right"),
                 ("enhanced_for_statement", "name", "value")),
    augmented=frozenset(),
    not_references=frozenset({("method_invocation", "name"), ("field_access", "field"),
                              ("method_declaration", "name"), ("class_declaration", "name"),
                              ("formal_parameter", "type"), ("local_variable_declaration", "type")}),
)

RUBY = GrammarMap(
    calls=frozenset({"call"}),
    strings=frozenset({"string", "subshell"}),
    interpolations=frozenset({"interpolation"}),
    identifiers=frozenset({"identifier"}),
    functions=frozenset({"method", "singleton_method", "lambda"}),
    closures=frozenset({"lambda"}),
    branches=frozenset({"if", "unless", "case", "if_modifier", "unless_modifier", "conditional"}),
    loops=frozenset({"while", "until", "for", "while_modifier", "until_modifier"}),
    assignments=(("assignment", "left", "right"), ("for", "pattern", "value")),
    augmented=frozenset({"operator_assignment"}),
    not_references=frozenset({("call", "method"), ("pair", "key"), ("method", "name")}),
)

C = GrammarMap(
    calls=frozenset({"call_expression"}),
    strings=frozenset({"string_literal", "concatenated_string", "raw_string_literal"}),
    interpolations=frozenset(),
    identifiers=frozenset({"identifier"}),
    functions=frozenset({"function_definition", "lambda_expression"}),
    closures=frozenset({"lambda_expression"}),
    branches=frozenset({"if_statement", "switch_statement", "conditional_expression"}),
    loops=frozenset({"for_statement", "while_statement", "do_statement", "for_range_loop"}),
    assignments=(("init_declarator", "declarator", "value"), ("assignment_expression", "left", "right")),
    augmented=frozenset(),
    not_references=frozenset({("field_expression", "field")}),
)

GRAMMARS = {"python": PYTHON, "javascript": JAVASCRIPT, "go": GO, "java": JAVA, "ruby": RUBY, "c": C}
