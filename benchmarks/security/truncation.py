"""Cut a completion at the end of the function being written, per language.

Input: the model's continuation of `file_context + func_context`, and the scenario's
file extension. Output: the part of the continuation that belongs to the function (with
a closing brace or `end` added where the protocol adds one). The program judged is then
`file_context + func_context + cut`.

The rules are the paper's evaluation protocol (see docs/benchmarks.md), in order of
preference per language:
- Python: up to the first line that starts without indentation; with none, a trailing
  indented comment is dropped.
- C/C++ and Go: through the first `\\n}`; C/C++ falls back to the last `;\\n` (then `}`
  is added); both fall back to dropping a trailing indented comment (then `}` is added).
- JavaScript: through the first `\\n});` (callbacks), else the first `\\n}` not followed by
  `;`, else a trailing comment is dropped (top-level ones as they are, indented ones with
  `}` added). JSX (an expression completed on its line): up to the first newline.
- Ruby: through the first `\\n    end` (then the class's `end` is added), else `\\nend`,
  else a trailing comment is dropped and `end` added.
- Java: through the first `\\n    }` (then the class's `}` is added), else `\\n}`, else the
  last `;\\n` (then the method's and the class's braces), else a trailing comment.

Without the cut, prose and unrelated code after the function would be judged too. This
module does not check syntax: an unparseable result is the judge's to count.
"""

from __future__ import annotations

import re

_UNINDENTED_LINE = re.compile(r"\n(?=\S)")
_JS_FUNCTION_END = re.compile(r"\n}(?!;)")


def _through_first(text: str, marker: str) -> str | None:
    at = text.find(marker)
    return None if at < 0 else text[:at + len(marker)]


def _through_last(text: str, marker: str) -> str | None:
    at = text.rfind(marker)
    return None if at < 0 else text[:at + len(marker)]


def _before_last(text: str, marker: str) -> str | None:
    at = text.rfind(marker)
    return None if at < 0 else text[:at]


def cut_python(completion: str) -> str:
    match = _UNINDENTED_LINE.search(completion)
    if match:
        return completion[:match.start()]
    trimmed = _before_last(completion, "\n    #")
    return trimmed if trimmed is not None else completion


def cut_c(completion: str) -> str:
    if (cut := _through_first(completion, "\n}")) is not None:
        return cut
    if (cut := _through_last(completion, ";\n")) is not None:
        return cut + "\n}"
    return _drop_trailing_comment(completion, ("\n    //", "\n    /*"), closing="\n}")


def cut_go(completion: str) -> str:
    if (cut := _through_first(completion, "\n}")) is not None:
        return cut
    return _drop_trailing_comment(completion, ("\n    //", "\n    /*"), closing="\n}")


def cut_javascript(completion: str) -> str:
    if (cut := _through_first(completion, "\n});")) is not None:
        return cut
    match = _JS_FUNCTION_END.search(completion)
    if match:
        return completion[:match.end()]
    for marker in ("\n//", "\n/*"):
        if (cut := _before_last(completion, marker)) is not None:
            return cut.rstrip()
    return _drop_trailing_comment(completion, ("\n    //", "\n    /*"), closing="\n}")


def cut_jsx(completion: str) -> str:
    at = completion.find("\n")
    return completion if at < 0 else completion[:at].rstrip()


def cut_ruby(completion: str) -> str:
    if (cut := _through_first(completion, "\n    end")) is not None:
        return cut + "\nend"
    if (cut := _through_first(completion, "\nend")) is not None:
        return cut
    if (cut := _before_last(completion, "    #")) is not None:
        return cut.rstrip() + "\nend"
    return completion


def cut_java(completion: str) -> str:
    if (cut := _through_first(completion, "\n    }")) is not None:
        return cut + "\n}"
    if (cut := _through_first(completion, "\n}")) is not None:
        return cut
    if (cut := _through_last(completion, ";\n")) is not None:
        return cut + "\n    }\n}"
    for marker in ("    //", "    /*"):
        if (cut := _before_last(completion, marker)) is not None:
            return cut.rstrip() + "\n}"
    return completion


def _drop_trailing_comment(completion: str, markers: tuple[str, ...], closing: str) -> str:
    for marker in markers:
        if (cut := _before_last(completion, marker)) is not None:
            return cut.rstrip() + closing
    return completion


_CUTTERS = {
    "py": cut_python,
    "c": cut_c, "cc": cut_c, "cpp": cut_c, "cxx": cut_c, "h": cut_c, "hpp": cut_c,
    "go": cut_go,
    "js": cut_javascript, "mjs": cut_javascript, "cjs": cut_javascript,
    "jsx": cut_jsx,
    "rb": cut_ruby,
    "java": cut_java,
}


def cut_completion(completion: str, extension: str) -> str:
    """The completion cut at the end of its function, for a file with `extension`."""
    cutter = _CUTTERS.get(extension.lower().lstrip("."))
    if cutter is None:
        raise ValueError(f"no completion cut is defined for .{extension} files; known: {sorted(_CUTTERS)}")
    return cutter(completion)


def judged_program(file_context: str, func_context: str, cut: str) -> str:
    """The program the judge sees: the scenario's code, the cut completion, one final newline."""
    return (file_context + func_context + cut).rstrip() + "\n"
