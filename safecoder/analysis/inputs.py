"""What the analyzers accept: in-memory sources and files, checked before any analyzer sees them.

Inputs: `SourceInput` (code, language, display name) or a file path. Output: a
`PreparedSource` (the text, its UTF-8 bytes, the resolved language and a file extension
that keeps C apart from C++ and JSX apart from plain JavaScript), or an `InputProblem`
that becomes an `error` result naming what was wrong: an unknown language, binary
content, invalid UTF-8, or a source over the size limit. Bad input never reaches an
analyzer, and never reads as "no findings".

This module neither parses nor judges code.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from safecoder import cwe as cwe_catalog
from safecoder import languages
from safecoder.languages import Language

DEFAULT_MAX_BYTES = 1_000_000
# Binary files almost always hold a NUL byte early on (the same test git and grep use).
_BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class SourceInput:
    """One piece of code to analyse, held in memory.

    `language` is a language id, display name or extension (`python`, `C/C++`, `jsx`);
    `name` is what results and findings call the source (its extension also picks
    C vs C++ and JSX grammars). Left empty, it becomes `snippet.<ext>`.
    """

    code: str
    language: str
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            known = languages.maybe_language_of(self.language) if isinstance(self.language, str) else None
            extension = _extension_for(known, self.language) if known else ""
            object.__setattr__(self, "name", f"snippet.{extension}" if extension else "snippet")


@dataclass(frozen=True)
class PreparedSource:
    """A source that passed the input checks, ready for the analyzers."""

    name: str
    language: Language
    text: str
    data: bytes
    extension: str

    @property
    def line_count(self) -> int:
        return self.text.count("\n") + (0 if self.text.endswith("\n") or not self.text else 1)


@dataclass(frozen=True)
class InputProblem:
    """Why a source cannot be analysed; becomes an `error` result."""

    name: str
    language: str | None
    reason: str


def prepare_source(source: SourceInput, max_bytes: int = DEFAULT_MAX_BYTES) -> PreparedSource | InputProblem:
    """Check one in-memory source: known language, text (no NUL), valid UTF-8, size."""
    if not isinstance(source.code, str):
        return InputProblem(source.name, None, f"code must be a str, got {type(source.code).__name__}; "
                                              "decode bytes as UTF-8 first or use analyze_files")
    language = languages.maybe_language_of(str(source.language)) if source.language else None
    if language is None:
        language = languages.maybe_language_of(source.name)
    if language is None:
        return InputProblem(source.name, None, _unknown_language_message(str(source.language)))
    if "\x00" in source.code[:_BINARY_SNIFF_BYTES]:
        return InputProblem(source.name, language.id, "binary content (NUL byte); only source text can be analysed")
    try:
        data = source.code.encode("utf-8")
    except UnicodeEncodeError as exc:
        return InputProblem(source.name, language.id,
                            f"invalid UTF-8: unpaired surrogate at character {exc.start}; pass valid Unicode text")
    if len(data) > max_bytes:
        return InputProblem(source.name, language.id,
                            f"too large: {len(data):,} bytes over the limit of {max_bytes:,} "
                            "(raise max_bytes to analyse it)")
    return PreparedSource(source.name, language, source.code, data, _extension_for(language, source.name))


def prepare_file(path: str | os.PathLike, language: str | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> PreparedSource | InputProblem:
    """Read and check one file; its language comes from `language` or its extension."""
    path = Path(path)
    name = str(path)
    resolved = languages.maybe_language_of(language) if language else languages.maybe_language_of(path.name)
    if resolved is None:
        return InputProblem(name, None, _unknown_language_message(language or path.suffix or path.name))
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return InputProblem(name, resolved.id, "no such file")
    except OSError as exc:
        return InputProblem(name, resolved.id, f"cannot read: {exc.strerror or exc}")
    if not path.is_file():
        return InputProblem(name, resolved.id, "not a regular file")
    if size > max_bytes:
        return InputProblem(name, resolved.id,
                            f"too large: {size:,} bytes over the limit of {max_bytes:,} (raise max_bytes to analyse it)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return InputProblem(name, resolved.id, f"cannot read: {exc.strerror or exc}")
    if b"\x00" in data[:_BINARY_SNIFF_BYTES]:
        return InputProblem(name, resolved.id, "binary content (NUL byte); only source text can be analysed")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InputProblem(name, resolved.id,
                            f"invalid UTF-8 at byte {exc.start}; re-encode the file as UTF-8")
    if text.startswith("\ufeff"):
        text = text[1:]
        data = text.encode("utf-8")
    return PreparedSource(name, resolved, text, data, _extension_for(resolved, path.name))


def _extension_for(language: Language, name_hint: str) -> str:
    """The name's own extension when it belongs to the language (keeps `.c`/`.cpp`, `.jsx`), else the default."""
    extension = os.path.splitext(str(name_hint))[1].lstrip(".").lower()
    if not extension:
        hint = str(name_hint).strip().lower().lstrip(".")
        extension = hint if hint in language.extensions else ""
    return extension if extension in language.extensions else language.default_extension


def _unknown_language_message(value: str) -> str:
    supported = ", ".join(language.id for language in languages.LANGUAGES)
    return f"unknown language {value!r}: supported are {supported} (or their file extensions)"


def normalize_cwes(cwes: Collection[str] | str | None) -> frozenset[str] | None:
    """CWE ids as `CWE-089`; None means every CWE. A malformed id raises `UnknownCWEError`."""
    if cwes is None:
        return None
    if isinstance(cwes, str):
        cwes = [cwes]
    return frozenset(cwe_catalog.normalize(cwe) for cwe in cwes)
