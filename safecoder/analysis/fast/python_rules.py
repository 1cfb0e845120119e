"""In-process twins of the Python Semgrep rules (rules/semgrep/cwe-*.yaml, `languages: [python]`).

Each function carries the id of its Semgrep twin and yields the nodes where that rule
fires; the comment above each says what the Semgrep rule matches.
"""

from __future__ import annotations

from safecoder.analysis.fast.registry import rule
from safecoder.analysis.fast.taint import TaintSpec, tainted_sinks

# Semgrep: `request.$A` (Flask, Django) as a source of user input.
_USER_INPUT_ROOTS = ("request",)


def user_input(ctx, node) -> bool:
    if node.type != "attribute":
        return False
    obj = node.child_by_field_name("object")
    return obj is not None and obj.type == "identifier" and ctx.text(obj) in _USER_INPUT_ROOTS


def argument_sinks(*patterns: str, position: int = 0):
    def sinks(ctx):
        for call in ctx.calls_to(*patterns):
            positional = ctx.positional(call)
            if len(positional) > position:
                yield positional[position]
    return sinks


@rule("cwe-089-python-built-query", "python")
def built_query(ctx):
    # Semgrep: taint from built strings or request data to the query of execute/executemany.
    spec = TaintSpec(sinks=argument_sinks("*.execute", "*.executemany"),
                     is_source=lambda c, n: c.is_built_string(n) or user_input(c, n))
    return tainted_sinks(ctx, spec)
