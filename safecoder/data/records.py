"""The typed records every stage exchanges, and their JSON form.

- `SecurityPair`: one vulnerability fix as the trainer sees it: an instruction, the secure
  program (after the fix), the vulnerable program (before the fix), its CWE and language,
  and where it came from (`Provenance`).
- `InstructionSample`: standard instruction-tuning data (instruction, optional input,
  output).

On disk both are JSON Lines rows carrying `kind` and `schema_version`; the collector
writes them, the trainer reads them. Bump `SCHEMA_VERSION` when a field changes meaning.
Formats of other projects (the paper's rows, SVEN's, GPTeacher's) are read by
`safecoder.data.loaders`, never written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from safecoder import cwe as cwe_catalog
from safecoder import languages
from safecoder.hashing import sha256_text

SCHEMA_VERSION = 1
SECURITY_PAIR = "security_pair"
INSTRUCTION_SAMPLE = "instruction_sample"


@dataclass(frozen=True)
class Provenance:
    """Where a record came from, as far as its source tells."""

    source: str = ""
    repository: str = ""
    commit: str = ""
    parent_commit: str = ""
    file: str = ""
    function: str = ""
    commit_message: str = ""
    findings_before: tuple[dict[str, Any], ...] = ()
    findings_after: tuple[dict[str, Any], ...] = ()
    analyzers: dict[str, str] = field(default_factory=dict)
    instruction_model: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["findings_before"] = list(self.findings_before)
        data["findings_after"] = list(self.findings_after)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown provenance fields {sorted(unknown)}")
        values = dict(data)
        values["findings_before"] = tuple(values.get("findings_before", ()))
        values["findings_after"] = tuple(values.get("findings_after", ()))
        return cls(**values)


@dataclass(frozen=True)
class SecurityPair:
    """A (secure, vulnerable) pair of one function, with the instruction both answer."""

    instruction: str
    secure_code: str
    vulnerable_code: str
    cwe: str
    language: str
    provenance: Provenance = field(default_factory=Provenance)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cwe", cwe_catalog.normalize(self.cwe))
        object.__setattr__(self, "language", languages.language_of(self.language).id)
        if not self.secure_code.strip() or not self.vulnerable_code.strip():
            raise ValueError("a security pair needs both a secure and a vulnerable program")

    @property
    def id(self) -> str:
        """A stable id from the content: the same fix always gets the same id."""
        return sha256_text("\0".join((self.cwe, self.language, self.vulnerable_code, self.secure_code)))[:16]

    @property
    def has_instruction(self) -> bool:
        return bool(self.instruction.strip())

    @property
    def class_key(self) -> tuple[str, str]:
        """The (CWE, language) class the paper oversamples by."""
        return (self.cwe, self.language)

    def with_instruction(self, instruction: str, model: str = "") -> SecurityPair:
        provenance = dataclasses.replace(self.provenance, instruction_model=model or self.provenance.instruction_model)
        return dataclasses.replace(self, instruction=instruction, provenance=provenance)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": SECURITY_PAIR,
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "instruction": self.instruction,
            "secure_code": self.secure_code,
            "vulnerable_code": self.vulnerable_code,
            "cwe": self.cwe,
            "language": self.language,
            "provenance": self.provenance.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SecurityPair:
        _check_header(data, SECURITY_PAIR)
        allowed = {"kind", "schema_version", "id", "instruction", "secure_code", "vulnerable_code", "cwe", "language", "provenance"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        missing = {"secure_code", "vulnerable_code", "cwe", "language"} - set(data)
        if missing:
            raise ValueError(f"missing fields {sorted(missing)}")
        return cls(
            instruction=data.get("instruction", ""),
            secure_code=data["secure_code"],
            vulnerable_code=data["vulnerable_code"],
            cwe=data["cwe"],
            language=data["language"],
            provenance=Provenance.from_dict(data.get("provenance", {})),
        )


@dataclass(frozen=True)
class InstructionSample:
    """A standard instruction-tuning sample: the model learns to produce `output`."""

    instruction: str
    output: str
    input: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if not self.instruction.strip():
            raise ValueError("an instruction sample needs a non-empty instruction")
        if not self.output.strip():
            raise ValueError("an instruction sample needs a non-empty output")

    @property
    def id(self) -> str:
        return sha256_text("\0".join((self.instruction, self.input, self.output)))[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": INSTRUCTION_SAMPLE,
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "instruction": self.instruction,
            "input": self.input,
            "output": self.output,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InstructionSample:
        _check_header(data, INSTRUCTION_SAMPLE)
        allowed = {"kind", "schema_version", "id", "instruction", "input", "output", "source"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        return cls(
            instruction=data.get("instruction", ""),
            output=data.get("output", ""),
            input=data.get("input", ""),
            source=data.get("source", ""),
        )


def _check_header(data: dict[str, Any], kind: str) -> None:
    if data.get("kind") != kind:
        raise ValueError(f"expected kind {kind!r}, found {data.get('kind')!r}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(
            f"schema_version {version!r} is not supported (this SafeCoder reads version {SCHEMA_VERSION})"
        )
