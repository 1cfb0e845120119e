"""Typed records and the readers of every data format SafeCoder accepts."""

from safecoder.data.loaders import (
    DataFormatError,
    LoadResult,
    RowError,
    load_instructions,
    load_records,
    load_security_pairs,
)
from safecoder.data.records import SCHEMA_VERSION, InstructionSample, Provenance, SecurityPair
from safecoder.data.scenarios import Scenario, load_scenarios

__all__ = [
    "SCHEMA_VERSION",
    "DataFormatError",
    "InstructionSample",
    "LoadResult",
    "Provenance",
    "RowError",
    "Scenario",
    "SecurityPair",
    "load_instructions",
    "load_records",
    "load_scenarios",
    "load_security_pairs",
]
