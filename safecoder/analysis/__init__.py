"""Static analysis: findings by CWE from Semgrep, Bandit, CodeQL and syntax checks.

The interface every consumer uses:

```python
from safecoder.analysis import SourceInput, analyze_sources, analyze_files, analyze_snippet

analyze_sources([SourceInput(code, "python", "a.py"), ...], cwes={"CWE-089"})  # batch, in input order
analyze_files(["a.py", "b.c"])                                               # batch, from disk
analyze_snippet(code, "javascript")                                          # in process, milliseconds
```

Each returns `AnalysisResult`s (`findings`): `ok` (judged), `syntax_error` (does not
parse: neither secure nor insecure) or `error` (an analyzer failed or the input was
unusable; the result says why). See docs/analysis.md.
"""

from safecoder.analysis.ensemble import (
    ANALYZERS,
    DEFAULT_ANALYZERS,
    AnalysisConfig,
    analyze_files,
    analyze_sources,
)
from safecoder.analysis.findings import AnalysisResult, Finding
from safecoder.analysis.inputs import SourceInput
from safecoder.analysis.ruleset import rules_version
from safecoder.analysis.snippet import analyze_snippet

__all__ = [
    "ANALYZERS",
    "DEFAULT_ANALYZERS",
    "AnalysisConfig",
    "AnalysisResult",
    "Finding",
    "SourceInput",
    "analyze_files",
    "analyze_snippet",
    "analyze_sources",
    "rules_version",
]
