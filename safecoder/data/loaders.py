"""Readers for every data format SafeCoder accepts, each row turned into a typed record.

Formats, recognised per row:
- SafeCoder's own JSONL (`kind` + `schema_version`), as `safecoder.data.records` writes it;
- the paper's security pairs (`func_src_before`, `func_src_after`, `vul_type`,
  `file_name`, and `description` as the instruction);
- SVEN's pairs: the same fields without `description`, with `line_changes` and
  `char_changes` that may be Python-literal strings instead of JSON objects;
- instruction data shaped as `{instruction, input, output}` or `{instruction, input,
  response}` (GPTeacher, Alpaca and most of their descendants), as JSONL or a JSON list.

Nothing is dropped silently: a malformed row becomes a `RowError` naming the file, the
line (1-based; for a JSON list, the item's position) and the reason. `strict=True`
raises the first one as `DataFormatError`; otherwise they are returned beside the
records for the caller to report.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from safecoder import cwe as cwe_catalog
from safecoder import languages
from safecoder.data.records import (
    INSTRUCTION_SAMPLE,
    SECURITY_PAIR,
    InstructionSample,
    Provenance,
    SecurityPair,
)
from safecoder.errors import SafeCoderError

DATA_SUFFIXES = (".jsonl", ".json")
Record = TypeVar("Record", SecurityPair, InstructionSample)


@dataclass(frozen=True)
class RowError:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


class DataFormatError(SafeCoderError, ValueError):
    """A data file or row that cannot be read; the message names file, line and reason."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


class DataNotFoundError(SafeCoderError, FileNotFoundError):
    """A data path that does not exist."""


@dataclass
class LoadResult(Generic[Record]):
    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def extend(self, other: LoadResult) -> None:
        self.records.extend(other.records)
        self.errors.extend(other.errors)
        self.files.extend(other.files)


MANIFEST_SUFFIX = ".manifest.json"


def data_files(path: str | os.PathLike) -> list[Path]:
    """The data files under `path` (itself if a file), sorted, `.jsonl` and `.json` only.

    In a folder, the `<file>.manifest.json` that the collector writes beside each output
    is left out: it describes the data, it is not data.
    """
    root = Path(path)
    if not root.exists():
        raise DataNotFoundError(f"no such data file or folder: {root}")
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and p.suffix in DATA_SUFFIXES and not p.name.endswith(MANIFEST_SUFFIX))


def iter_rows(path: str | os.PathLike) -> Iterator[tuple[int, Any]]:
    """(line or item number, parsed JSON value) for a JSONL file or a JSON list.

    A line that is not valid JSON yields a `RowError` in place of the value.
    """
    path = Path(path)
    if path.suffix == ".json":
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            yield getattr(exc, "lineno", 1), RowError(str(path), getattr(exc, "lineno", 1), f"invalid JSON: {exc}")
            return
        if not isinstance(document, list):
            yield 1, RowError(str(path), 1, f"expected a JSON list of rows, found {type(document).__name__}")
            return
        yield from enumerate(document, start=1)
        return
    with open(path, encoding="utf-8", errors="strict") as handle:
        line_no = 0
        while True:
            line_no += 1
            try:
                line = handle.readline()
            except UnicodeDecodeError as exc:
                yield line_no, RowError(str(path), line_no, f"invalid UTF-8: {exc}")
                return
            if not line:
                return
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except json.JSONDecodeError as exc:
                yield line_no, RowError(str(path), line_no, f"invalid JSON: {exc.msg} at column {exc.colno}")


def row_kind(row: dict[str, Any]) -> str | None:
    """`security_pair`, `instruction_sample`, or None when the row matches no known format."""
    if "kind" in row:
        return row["kind"] if row["kind"] in (SECURITY_PAIR, INSTRUCTION_SAMPLE) else None
    if "func_src_before" in row or "func_src_after" in row:
        return SECURITY_PAIR
    if "instruction" in row and ("output" in row or "response" in row):
        return INSTRUCTION_SAMPLE
    return None


def security_pair_from_row(row: dict[str, Any], source: str = "") -> SecurityPair:
    """A `SecurityPair` from any supported row format; raises ValueError with the reason."""
    if row.get("kind") == SECURITY_PAIR:
        return SecurityPair.from_dict(row)
    missing = [key for key in ("func_src_before", "func_src_after", "vul_type", "file_name") if key not in row]
    if missing:
        raise ValueError(f"missing fields {missing}")
    for key in ("func_src_before", "func_src_after", "vul_type", "file_name"):
        if not isinstance(row[key], str):
            raise ValueError(f"field {key!r} must be a string, found {type(row[key]).__name__}")
    try:
        cwe_id = cwe_catalog.normalize(row["vul_type"])
    except cwe_catalog.UnknownCWEError as exc:
        raise ValueError(str(exc)) from None
    language = languages.maybe_language_of(row["file_name"])
    if language is None:
        raise ValueError(f"file {row['file_name']!r} is in none of the supported languages")
    extra = {}
    for key in ("line_changes", "char_changes"):
        if key in row:
            extra[key] = _literal_or_json(row[key], key)
    commit_link = row.get("commit_link", "")
    repository, commit = _split_commit_link(commit_link)
    provenance = Provenance(
        source=source,
        repository=repository,
        commit=commit,
        parent_commit=row.get("parent_commit", "") or "",
        file=row["file_name"],
        function=row.get("func_name", "") or "",
        commit_message=row.get("commit_msg", "") or "",
        extra=extra,
    )
    return SecurityPair(
        instruction=(row.get("description") or "").strip(),
        secure_code=row["func_src_after"],
        vulnerable_code=row["func_src_before"],
        cwe=cwe_id,
        language=language.id,
        provenance=provenance,
    )


def instruction_from_row(row: dict[str, Any], source: str = "") -> InstructionSample:
    if row.get("kind") == INSTRUCTION_SAMPLE:
        return InstructionSample.from_dict(row)
    instruction = _string_field("instruction", row.get("instruction"))
    output = _string_field("output/response", row.get("output", row.get("response")))
    _string_field("input", row.get("input", ""))
    return InstructionSample(instruction=instruction, input=row.get("input", "") or "", output=output, source=source)


def _string_field(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"field {key!r} must be a string, found {type(value).__name__}")
    return value


def load_security_pairs(path: str | os.PathLike, strict: bool = False) -> LoadResult[SecurityPair]:
    """Every security pair in a file or folder (rows of other kinds are errors)."""
    return _load(path, SECURITY_PAIR, strict)


def load_instructions(path: str | os.PathLike, strict: bool = False) -> LoadResult[InstructionSample]:
    """Every instruction sample in a file or folder (rows of other kinds are errors)."""
    return _load(path, INSTRUCTION_SAMPLE, strict)


def load_records(path: str | os.PathLike, strict: bool = False) -> tuple[LoadResult[SecurityPair], LoadResult[InstructionSample]]:
    """Both kinds from a file or folder; each row goes where its format says."""
    pairs: LoadResult[SecurityPair] = LoadResult()
    samples: LoadResult[InstructionSample] = LoadResult()
    for file in data_files(path):
        file_pairs, file_samples = _load_file(file, None, strict)
        pairs.extend(file_pairs)
        samples.extend(file_samples)
    return pairs, samples


def _load(path: str | os.PathLike, kind: str, strict: bool) -> LoadResult:
    result = LoadResult()
    for file in data_files(path):
        pairs, samples = _load_file(file, kind, strict)
        result.extend(pairs if kind == SECURITY_PAIR else samples)
        if kind == SECURITY_PAIR:
            result.errors.extend(samples.errors)
        else:
            result.errors.extend(pairs.errors)
    return result


def _load_file(file: Path, only_kind: str | None, strict: bool) -> tuple[LoadResult, LoadResult]:
    pairs: LoadResult[SecurityPair] = LoadResult(files=[str(file)])
    samples: LoadResult[InstructionSample] = LoadResult(files=[str(file)])
    source = str(file)

    def fail(line: int, reason: str) -> None:
        error = RowError(str(file), line, reason)
        if strict:
            raise DataFormatError(error)
        pairs.errors.append(error)

    for line, row in iter_rows(file):
        if isinstance(row, RowError):
            fail(row.line, row.reason)
            continue
        if not isinstance(row, dict):
            fail(line, f"expected a JSON object, found {type(row).__name__}")
            continue
        kind = row_kind(row)
        if kind is None:
            fail(line, f"row matches no known format (fields: {sorted(row)[:8]})")
            continue
        if only_kind is not None and kind != only_kind:
            fail(line, f"expected a {only_kind.replace('_', ' ')}, found a {kind.replace('_', ' ')}")
            continue
        try:
            if kind == SECURITY_PAIR:
                pairs.records.append(security_pair_from_row(row, source))
            else:
                samples.records.append(instruction_from_row(row, source))
        except (ValueError, TypeError) as exc:
            fail(line, str(exc))
    return pairs, samples


def _literal_or_json(value: Any, key: str) -> Any:
    """SVEN stores change lists as Python literals inside strings; the paper's rows as JSON."""
    if not isinstance(value, str):
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"field {key!r} is neither a Python literal nor JSON") from None


def _split_commit_link(link: str) -> tuple[str, str]:
    """`github.com/o/r/commit/<sha>` -> (`https://github.com/o/r`, `<sha>`)."""
    if "/commit/" not in link:
        return link, ""
    repository, commit = link.split("/commit/", 1)
    if repository and "://" not in repository:
        repository = "https://" + repository
    return repository, commit.strip("/")
