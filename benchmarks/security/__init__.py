"""The security benchmark: the paper's scenarios, sampled, cut, judged; secure-pass beside it.

`VERSION` changes whenever the benchmark's behaviour changes (prompts, cutting,
deduplication, metrics): results of different versions are not compared by the gate.
The scenarios' functional tests carry their own `TESTS_VERSION`.
"""

VERSION = "security-1"
