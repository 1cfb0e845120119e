"""What the language server reads from an open document: its language and a context window.

Inputs are pygls `TextDocument`s (kept in sync by pygls from didOpen/didChange) and LSP
positions, which count in the encoding negotiated with the client (UTF-16 by default).
Outputs are a supported language (`safecoder.languages.Language`) or None, and a
`CompletionWindow`: the text before and after the cursor, bounded in size, that a
completion is conditioned on.

Not here: generation or analysis; this module only slices text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.workspace import TextDocument

from safecoder.languages import Language, maybe_language_of

# Editors name languages by their own ids; the ones that differ from SafeCoder's aliases.
_EDITOR_LANGUAGE_IDS = {
    "javascriptreact": "javascript",
    "cuda-cpp": "c",
    "objective-c": "c",
    "objective-cpp": "c",
}


def document_language(document: TextDocument) -> Language | None:
    """The document's language from the editor's language id, else from the file extension."""
    language_id = (document.language_id or "").lower()
    language = maybe_language_of(_EDITOR_LANGUAGE_IDS.get(language_id, language_id)) if language_id else None
    if language is None:
        path = unquote(urlparse(document.uri).path)
        extension = os.path.splitext(path)[1]
        language = maybe_language_of(extension) if extension else None
    return language


@dataclass(frozen=True)
class CompletionWindow:
    """The context of one completion: bounded prefix and suffix around the cursor."""

    language: Language
    prefix: str
    suffix: str
    # The cursor sits inside a line with more code after it: complete only to the line end.
    single_line: bool

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.language.id, self.prefix, self.suffix)


def completion_window(document: TextDocument, position: types.Position, language: Language,
                      prefix_chars: int, suffix_chars: int) -> CompletionWindow:
    """The text around `position`, cut to at most `prefix_chars` / `suffix_chars` characters.

    The prefix is cut at a line start so the model never sees half a line at its very
    beginning; the suffix is cut at a line end for the same reason.
    """
    source = document.source
    offset = document.offset_at_position(position)
    prefix, suffix = source[:offset], source[offset:]
    if len(prefix) > prefix_chars:
        cut = len(prefix) - prefix_chars
        line_start = prefix.find("\n", cut)
        prefix = prefix[line_start + 1:] if line_start != -1 else prefix[cut:]
    if len(suffix) > suffix_chars:
        line_end = suffix.rfind("\n", 0, suffix_chars)
        suffix = suffix[:line_end] if line_end != -1 else suffix[:suffix_chars]
    rest_of_line = suffix.split("\n", 1)[0]
    return CompletionWindow(language=language, prefix=prefix, suffix=suffix, single_line=bool(rest_of_line.strip()))
