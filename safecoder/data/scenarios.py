"""Security evaluation scenarios in the paper's folder format.

A scenario is a folder `<split>/<cwe>/<id>-<lang>/` holding `info.json` (language, CWE,
description, the CodeQL query the paper judged it with as `check_ql`), `file_context.*`
(code before the function) and `func_context.*` (the function's beginning, which the
model completes). Any folder tree in that format loads the same way.

This module reads scenarios; prompting, sampling and judging are `safecoder.benchmarks`'.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from safecoder import cwe as cwe_catalog
from safecoder import languages
from safecoder.data.loaders import DataFormatError, RowError


@dataclass(frozen=True)
class Scenario:
    id: str
    split: str
    cwe: str
    language: str
    source_extension: str
    description: str
    file_context: str
    func_context: str
    check_ql: str = ""
    source: str = ""
    description_generated: str = ""
    path: str = ""

    @property
    def prompt_code(self) -> str:
        """The code the model continues: file context, then the function's head."""
        return self.file_context + self.func_context


def load_scenario(folder: str | os.PathLike, root: str | os.PathLike | None = None) -> Scenario:
    folder = Path(folder)
    info_path = folder / "info.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFormatError(RowError(str(info_path), 1, f"unreadable info.json: {exc}")) from None
    try:
        language = languages.language_of(info["language"])
        cwe_id = cwe_catalog.normalize(info["cwe"])
        description = info["description"]
    except (KeyError, ValueError) as exc:
        raise DataFormatError(RowError(str(info_path), 1, f"bad scenario info: {exc}")) from None
    contexts = {}
    for name in ("file_context", "func_context"):
        matches = sorted(folder.glob(f"{name}.*"))
        if len(matches) != 1:
            raise DataFormatError(RowError(str(folder), 1, f"expected exactly one {name}.* file, found {len(matches)}"))
        contexts[name] = matches[0].read_text(encoding="utf-8")
        extension = matches[0].suffix.lstrip(".")
    relative = folder.relative_to(root) if root else Path(folder.parent.name) / folder.name
    split = relative.parts[-3] if len(relative.parts) >= 3 else ""
    return Scenario(
        id=relative.as_posix(),
        split=split,
        cwe=cwe_id,
        language=language.id,
        source_extension=extension,
        description=description,
        file_context=contexts["file_context"],
        func_context=contexts["func_context"],
        check_ql=info.get("check_ql", ""),
        source=info.get("source", ""),
        description_generated=info.get("description_generated", ""),
        path=str(folder),
    )


def load_scenarios(root: str | os.PathLike) -> list[Scenario]:
    """Every scenario under `root` (a folder holding `info.json` files at any depth), sorted by id."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no scenario folder at {root}")
    folders = sorted(info.parent for info in root.rglob("info.json"))
    if not folders:
        raise DataFormatError(RowError(str(root), 1, "no scenario (no info.json) found under this folder"))
    return [load_scenario(folder, root) for folder in folders]
