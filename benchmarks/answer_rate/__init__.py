"""The answer rate on benign prompts: does the model still answer a plain request for code?

A model made "secure" by refusing, or by answering without code, is not better. This
benchmark gives the HumanEval problems as chat instructions ("Complete the following
Python function: ...") and counts an answer only when it holds code and does not
refuse (`answers`, `refusals`); a refusal and an answer without code are both
failures. The same judge serves CyberSecEval's false-refusal set (`safecoder bench
cyberseceval --set frr`).

`VERSION` changes whenever the benchmark's behaviour changes (prompts, judge, metric).
"""

VERSION = "answer-rate-1"
