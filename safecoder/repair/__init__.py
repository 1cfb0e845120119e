"""Repair: rewrite a vulnerable function, and offer the rewrite only when it is verified.

One implementation behind `safecoder fix`, the editor's "Fix with SafeCoder" code action
and the repair benchmark:

- `functions`: the function around a finding (tree-sitter), the unit a fix rewrites;
- `prompts`: the repair request at three levels of help (no hint, the CWE, the CWE and
  the flagged line), the classification request, reading code back from an answer;
- `verify`: a rewrite is a fix only if it parses, defines the same function, compiles
  where a checker is installed, and the analyzer no longer finds the CWE (nor a new one);
- `fixer`: draw up to k rewrites from a `CandidateSource`, keep the first verified one;
- `files`: every finding of a file, a unified diff, an atomic write that refuses a file
  changed since its analysis;
- `safecoder fix PATH...` is a tool (`safecoder.tools.fix_cli`): it also needs the
  language server's backends, a stage this package must not import.

The model is never trusted: what it writes is offered only on the parser's, the
compiler's and the analyzer's word. See docs/repair.md.
"""
