"""Which of the six languages a piece of code is written in, when nobody said.

Inputs: code text (a completion's prefix and suffix, or an untagged chat code block).
Output: a language id (`python`, `c`, ...) or None. Each tree-sitter grammar parses the
code; the language whose parse has clearly the fewest error and missing nodes wins, and
a near tie gives None, so the gate reports `unchecked` rather than judging code with the
wrong analyzer. Ruby's grammar accepts almost any C-like code without an error, so Ruby
wins only when it parses clearly better than every other language. A request that names its language (`safecoder.language`) never gets here.

A heuristic, not a classifier: very short or ambiguous snippets stay unknown.
"""

from __future__ import annotations

import functools

from safecoder.languages import LANGUAGES, parser_for

MIN_CHARACTERS = 12
PERMISSIVE = "ruby"


def guess_language(code: str) -> str | None:
    """The most plausible language id for `code`, or None when the evidence is weak."""
    if len(code.strip()) < MIN_CHARACTERS:
        return None
    data = code.encode("utf-8", errors="replace")
    scores = sorted((_error_count(language.id, data), language.id == PERMISSIVE, language.id)
                    for language in LANGUAGES)
    if scores[0][0] == scores[1][0] and scores[1][1]:
        scores.pop(1)  # a tie with the permissive grammar is no tie
    scores = [(errors, language_id) for errors, _, language_id in scores]
    (best_errors, best), (second_errors, _) = scores[0], scores[1]
    if best_errors == second_errors:
        return None
    if best_errors > 0 and second_errors < best_errors * 2 + 2:
        return None
    return best


def _error_count(language_id: str, data: bytes) -> int:
    tree = _parser(language_id).parse(data)
    count, stack = 0, [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1 + (node.end_byte - node.start_byte) // 16
            continue
        if node.has_error:
            stack.extend(node.children)
    return count


@functools.cache
def _parser(language_id: str):
    return parser_for(language_id)
