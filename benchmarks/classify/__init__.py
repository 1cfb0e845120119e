"""Classification: given a function, name its weakness as a CWE, or say "none".

Items are both versions of the shared security pairs (validation splits; a seeded sample
of pairs with `limit`): the vulnerable one labelled with the pair's CWE, the secure one
labelled `none`, so a model that always names a CWE is not rewarded. The model's answer
is read as its first CWE identifier, or `none` when it says none (`labels`); anything
else is `unreadable`, a wrong answer. The analysis fast path is scored the same way
beside it (its prediction: the most frequent CWE among its findings, the earliest on a
tie, `none` without findings). Output: accuracy overall and per label kind, and a
confusion table per predictor.

`VERSION` changes whenever the benchmark's behaviour changes.
"""

VERSION = "classify-2"  # 2: the prompt names no example identifier
