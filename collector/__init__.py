"""The collector: mines vulnerability-fixing commits into verified security pairs.

The paper's data pipeline (He et al., ICML 2024, Section 5): commits from local
repositories, advisory commit lists or a metadata stream pass a cheap keyword and size
filter; the survivors are analysed before and after the change, and a (commit, CWE) is a
fix when the version before has findings of that CWE and the version after has none; the
functions the fix changed become (vulnerable, secure) pairs, deduplicated, capped per
class, given an LLM-written instruction and written as SafeCoder JSONL for the trainer.

Entry points: `safecoder collect run | instruct | stats` (`safecoder.collector.cli`),
`safecoder.collector.pipeline.run`, and `python -m safecoder.collector.perf`.
The collector does not train, judge models or serve; it only produces data files.
"""
