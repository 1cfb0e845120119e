"""Knowledge: MMLU and TruthfulQA (mc1), 5-shot, scored by the log-likelihood of each answer.

`VERSION` changes whenever the benchmark's behaviour changes (prompts, shots, scoring).
"""

VERSION = "knowledge-1"
