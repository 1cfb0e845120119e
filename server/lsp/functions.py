"""Moved to `safecoder.repair.functions` (shared by `safecoder fix`, the code action and the
repair benchmark); these names stay importable from here."""

from safecoder.repair.functions import (  # noqa: F401
    FUNCTION_NODE_TYPES,
    FunctionSpan,
    enclosing_function,
    errors_within,
    function_at_offset,
    signature,
)
