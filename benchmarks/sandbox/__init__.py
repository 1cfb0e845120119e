"""Running model-generated code: an opt-in, then a confined process (see `executor`)."""

from safecoder.benchmarks.sandbox.executor import (
    ExecutionResult,
    Job,
    Sandbox,
    SandboxError,
    SandboxLimits,
    namespaces_available,
)
from safecoder.benchmarks.sandbox.permission import (
    ALLOW_ENV,
    CodeExecutionNotAllowedError,
    code_execution_allowed,
    require_code_execution_allowed,
)

__all__ = [
    "ALLOW_ENV",
    "CodeExecutionNotAllowedError",
    "ExecutionResult",
    "Job",
    "Sandbox",
    "SandboxError",
    "SandboxLimits",
    "code_execution_allowed",
    "namespaces_available",
    "require_code_execution_allowed",
]
