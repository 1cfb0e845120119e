"""Repair: given a vulnerable function, does the model return a fixed version that still works?

Tasks are the vulnerable versions of the shared security pairs (validation splits) that
the analysis fast path flags with the pair's CWE (otherwise "fixed" would mean nothing),
a seeded sample of them with `limit`. Each is asked in three prompt settings
(`safecoder.repair.prompts`): no hint, the CWE named, the CWE and the flagged line named.
A rewrite is judged (`judging`) as

- fixed: no finding of the task's CWE in the rewritten function by every judge the
  project has (the in-process analyzer and the ensemble: Semgrep, Bandit);
- still correct: the pairs have no tests, so the function's signature is kept and the
  code passes the syntax check (tree-sitter; Python's parser) and the compile check
  where a checker is installed (node, gofmt, javac, ruby);
- fixed-and-correct: both;
- its token similarity to the real fix (the pair's secure version).

Two ways to use the k draws per task: a single draw (the first), and the verified-fix
loop of `safecoder fix` (the first draw that `safecoder.repair.verify` accepts).

`VERSION` changes whenever the benchmark's behaviour changes (tasks, prompts, judges).
"""

VERSION = "repair-1"
