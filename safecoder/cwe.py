"""The CWE catalog: ids, names, one-line summaries, and the CWE Top 25 ranks.

CWE ids are normalised to the paper's spelling, `CWE-089` (three digits at least), so
`89`, `cwe-89`, `CWE-0089` and `CWE-089` all name the same entry. The catalog itself is
data (`cwe_catalog.yaml`), so adding a CWE is an edit, not a code change.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

from safecoder.errors import SafeCoderError

_CWE_PATTERN = re.compile(r"^\s*(?:cwe)?[-_ ]?0*(\d{1,5})\s*$", re.IGNORECASE)
# MITRE's names carry their common short form in quotes: "... ('SQL Injection')".
_QUOTED_SHORT_NAME = re.compile(r"\('([^']+)'\)")


@dataclass(frozen=True)
class CWE:
    id: str
    number: int
    name: str
    summary: str
    top25_rank: int | None = None

    @property
    def short_name(self) -> str:
        """`SQL Injection` for CWE-089: the name's quoted short form, else the whole name."""
        match = _QUOTED_SHORT_NAME.search(self.name)
        return match.group(1) if match else self.name

    @property
    def url(self) -> str:
        return f"https://cwe.mitre.org/data/definitions/{self.number}.html"


class UnknownCWEError(SafeCoderError, ValueError):
    """A CWE id that is malformed or not in the catalog."""


def normalize(cwe_id: str | int) -> str:
    """`89`, `cwe-89`, `CWE-0089` -> `CWE-089`. Raises UnknownCWEError when malformed."""
    match = _CWE_PATTERN.match(str(cwe_id))
    if not match:
        raise UnknownCWEError(f"malformed CWE id {cwe_id!r}: expected a form like 'CWE-089', 'cwe-89' or 89")
    return f"CWE-{int(match.group(1)):03d}"


def number(cwe_id: str | int) -> int:
    return int(normalize(cwe_id).split("-")[1])


@functools.lru_cache(maxsize=1)
def catalog() -> dict[str, CWE]:
    text = resources.files("safecoder").joinpath("cwe_catalog.yaml").read_text(encoding="utf-8")
    entries = {}
    for raw in yaml.safe_load(text):
        cwe_id = normalize(raw["id"])
        entries[cwe_id] = CWE(cwe_id, int(raw["id"]), raw["name"], raw["summary"], raw.get("top25"))
    return entries


def get(cwe_id: str | int) -> CWE:
    """The catalog entry for a CWE id; raises UnknownCWEError if it is not in the catalog."""
    key = normalize(cwe_id)
    try:
        return catalog()[key]
    except KeyError:
        raise UnknownCWEError(
            f"{key} is not in SafeCoder's CWE catalog; add it to safecoder/cwe_catalog.yaml"
        ) from None


def top25() -> list[CWE]:
    return sorted((c for c in catalog().values() if c.top25_rank), key=lambda c: c.top25_rank or 0)


def short_name(cwe_id: str | int) -> str:
    """`CWE-089` -> `SQL Injection` (as editors and fix prompts say it); `weakness` for an id
    outside the catalog."""
    try:
        return get(cwe_id).short_name
    except UnknownCWEError:
        return "weakness"
