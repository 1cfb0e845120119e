"""SafeCoder: a secure code assistant and the factory that trains it.

The core package holds what every stage shares: languages, the CWE catalog, typed data
records, model references and loading, prompt formats, the generation-engine interface,
and the model registry. The stages live in their own sub-packages
(`safecoder.collector`, `safecoder.trainer`, `safecoder.benchmarks`, `safecoder.server`)
and hand each other files, never Python objects.
"""

__version__ = "0.1.0"
