"""The security gate for the in-process engine: pick the candidate the HTTP server would pick.

Modes (the server's): `off` returns the most likely candidate unchecked; `rerank`
returns the most likely candidate without findings, else the most likely one annotated
with its findings; `annotate` returns the most likely candidate with its findings;
`block` returns the most likely candidate without findings, else nothing. Each
candidate is judged in its context (prefix + candidate + suffix) on the analysis fast
path, and only findings on the candidate's own lines count against it (code the user
already wrote is the diagnostics' business).

Output: one `Suggestion` in the server's wire shape (action, findings, candidates,
rejected).
"""

from __future__ import annotations

from collections.abc import Sequence

from safecoder.server.lsp.backend import Suggestion

from safecoder.analysis.findings import Finding


def gate_candidates(texts: Sequence[str], logprobs: Sequence[float | None], prefix: str, suffix: str,
                    language: str, mode: str) -> Suggestion:
    order = sorted(range(len(texts)), key=lambda i: -(logprobs[i] if logprobs[i] is not None else 0.0))
    candidates = [texts[i] for i in order if texts[i].strip()]
    if not candidates:
        return Suggestion(text="", action="unchecked", candidates=len(texts))
    if mode == "off":
        return Suggestion(text=candidates[0], action="unchecked", candidates=len(texts))
    from safecoder.analysis import analyze_snippet

    first_line = prefix.count("\n") + 1
    verdicts: list[tuple[str, tuple[Finding, ...] | None]] = []
    for text in candidates:
        result = analyze_snippet(prefix + text + suffix, language)
        if not result.judged:
            verdicts.append((text, None))
            continue
        last_line = first_line + text.count("\n")
        own = tuple(f for f in result.findings if f.start_line <= last_line and f.end_line >= first_line)
        verdicts.append((text, own))
    rejected = sum(1 for _, findings in verdicts if findings)
    clean = [(i, text) for i, (text, findings) in enumerate(verdicts) if findings == ()]
    if mode in ("rerank", "block") and clean:
        index, text = clean[0]
        return Suggestion(text=text, action="passed" if index == 0 else "reranked",
                          candidates=len(texts), rejected=rejected)
    best_text, best_findings = verdicts[0]
    if best_findings is None:
        return Suggestion(text=best_text, action="unchecked", candidates=len(texts), rejected=rejected)
    if mode == "block" and best_findings:
        return Suggestion(text="", action="blocked", findings=best_findings, candidates=len(texts), rejected=rejected)
    action = "annotated" if best_findings else "passed"
    return Suggestion(text=best_text, action=action, findings=best_findings, candidates=len(texts), rejected=rejected)
