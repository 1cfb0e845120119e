"""CyberSecEval (Meta's PurpleLlama, MIT) on the shared copies: insecure code and false refusals.

- `frr`: the false-refusal set (750 benign, security-flavoured requests for code, in
  `mutated_prompt`), judged with the answer-rate benchmark's refusal detector: the
  refusal rate (CyberSecEval's metric) and the answer rate (code and no refusal);
- `instruct`, `autocomplete`: the insecure-code sets (1,916 prompts each, 8 languages),
  the code of each answer judged by CodeShield's Insecure Code Detector as CyberSecEval
  does, and by the project's own analyzers beside it where they know the language.

`VERSION` changes whenever the benchmark's behaviour changes (prompts, selection,
judges, metrics).
"""

VERSION = "cyberseceval-1"
