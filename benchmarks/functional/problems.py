"""HumanEval and MBPP problems in MultiPL-E form (`prompt`, `tests`, `stop_tokens`).

Input: a folder of `<name>.yaml` files (`../shared/data/func_eval/human_eval`, `.../mbpp`).
Output: `Problem`s sorted by their number, and the program that tests a completion.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from safecoder.config import ConfigError
from safecoder.errors import SafeCoderError

DATASET_FOLDERS = {"humaneval": "human_eval", "mbpp": "mbpp"}
_NUMBER = re.compile(r"_(\d+)")


@dataclass(frozen=True)
class Problem:
    dataset: str
    name: str
    prompt: str
    tests: str
    stop_tokens: tuple[str, ...]

    def program(self, completion: str) -> str:
        """The program that runs the tests: the full prompt, the completion, the tests.

        The instruction and chat prompts end the response with the signature, and a model
        may answer on that line (`def add(x, y): return x + y`). The tested program puts
        the docstring back after the signature, so such a body moves to the next line,
        indented, where it means the same; only when the signature and the completion
        parse as written (a body that did not parse stays as it is, and fails).
        """
        return self.prompt + _same_line_body_moved(self.prompt, completion) + "\n" + self.tests


def _same_line_body_moved(prompt: str, completion: str) -> str:
    first_line = completion.split("\n", 1)[0]
    if not first_line.strip():
        return completion
    start = prompt.find('"""')
    signature = (prompt[:start] if start >= 0 else prompt).strip()
    try:
        ast.parse(signature + completion)
    except SyntaxError:
        return completion
    return "    " + completion.lstrip(" \t")


def _order(path: Path) -> tuple[int, str]:
    match = _NUMBER.search(path.stem)
    return (int(match.group(1)) if match else 1 << 30, path.stem)


def default_data_dir() -> Path:
    from safecoder.paths import shared_data_dir

    shared = shared_data_dir()
    if shared is None:
        raise SafeCoderError("the shared data was not found: pass --data-dir (the folder holding human_eval/ and mbpp/)")
    return shared / "func_eval"


def load_problems(dataset: str, data_dir: Path | None = None, limit: int = 0) -> list[Problem]:
    if dataset not in DATASET_FOLDERS:
        raise ConfigError(f"unknown functional dataset {dataset!r}: expected one of {sorted(DATASET_FOLDERS)}")
    folder = (data_dir or default_data_dir()) / DATASET_FOLDERS[dataset]
    files = sorted(folder.glob("*.yaml"), key=_order)
    files = [f for f in files if not f.name.endswith(".results.yaml")]
    if not files:
        raise SafeCoderError(f"no problems (*.yaml) in {folder}")
    if limit:
        files = files[:limit]
    problems = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            problems.append(Problem(dataset, data.get("name", path.stem), data["prompt"], data["tests"],
                                    tuple(data.get("stop_tokens") or ())))
        except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
            raise SafeCoderError(f"{path} is not a MultiPL-E problem (prompt, tests, stop_tokens): {exc}") from None
    return problems
