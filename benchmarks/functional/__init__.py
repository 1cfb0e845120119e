"""Functional correctness: pass@k on HumanEval and MBPP (MultiPL-E form), run in the sandbox.

`VERSION` changes whenever the benchmark's behaviour changes (prompts, stops, program
assembly, metric).
"""

VERSION = "functional-1"
