"""Writing typed records as SafeCoder JSONL, atomically."""

from __future__ import annotations

import os
from collections.abc import Iterable

from safecoder.atomic import write_jsonl
from safecoder.data.records import InstructionSample, SecurityPair


def write_records(path: str | os.PathLike, records: Iterable[SecurityPair | InstructionSample]) -> int:
    """Write records to `path` in one atomic step; returns how many were written."""
    return write_jsonl(path, (record.to_dict() for record in records))
