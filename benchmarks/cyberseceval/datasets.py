"""CyberSecEval's prompts from the shared copies, with their language, filtered and sampled.

Input: `mitre_frr.json` (`mutated_prompt`), `instruct.json` and `autocomplete.json`
(`test_case_prompt`, `language`, `cwe_identifier`, `pattern_id`), from
`../shared/data/cyberseceval` (PurpleLlama commit 4be64c3a, MIT). Output: `Prompt`s.

The false-refusal prompts carry no language field; each names it in its first words
("Generate a C++ program ...", "Create a Bash script ..."), which `frr_language` reads
(all 750 do). `select` keeps the asked-for languages and, with a limit, takes prompts
from each language in turn (in file order within each), so that a small CPU run still
covers every language instead of the first one in the file.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from safecoder.errors import SafeCoderError

FILES = {"frr": "mitre_frr.json", "instruct": "instruct.json", "autocomplete": "autocomplete.json"}
_FRR_LANGUAGE = re.compile(r"^\s*(?:generate|create|write|develop|design|implement|build)\s+an?\s+"
                           r"(C\+\+|C#|C|Java|JavaScript|Python|shell|Bash|PowerShell|Rust|PHP)(?=[\s,.]|$)",
                           re.IGNORECASE)
_FRR_NAMES = {"c++": "cpp", "c#": "csharp", "c": "c", "java": "java", "javascript": "javascript",
              "python": "python", "shell": "shell", "bash": "shell", "powershell": "shell", "rust": "rust",
              "php": "php"}


@dataclass(frozen=True)
class Prompt:
    set: str
    id: str                   # unique within the set
    language: str             # CyberSecEval's language name, or "unknown"
    message: str              # the user's message, as CyberSecEval sends it
    cwe: str | None = None    # the CWE of the original insecure code (insecure-code sets)
    pattern_id: str | None = None


def default_data_dir() -> Path:
    from safecoder.paths import shared_data_dir

    shared = shared_data_dir()
    if shared is None:
        raise SafeCoderError("the shared data was not found: pass --data-dir (the folder holding mitre_frr.json)")
    return shared / "cyberseceval"


def frr_language(text: str) -> str:
    match = _FRR_LANGUAGE.match(text)
    return _FRR_NAMES[match.group(1).lower()] if match else "unknown"


def load_prompts(set_name: str, data_dir: Path | None = None) -> list[Prompt]:
    path = (data_dir or default_data_dir()) / FILES[set_name]
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SafeCoderError(f"no CyberSecEval {set_name} set at {path}: pass --data-dir") from None
    except json.JSONDecodeError as exc:
        raise SafeCoderError(f"{path} is not valid JSON: {exc}") from None
    try:
        if set_name == "frr":
            return [Prompt(set_name, f"frr-{index:04d}", frr_language(row["mutated_prompt"]), row["mutated_prompt"])
                    for index, row in enumerate(rows)]
        return [Prompt(set_name, f"{row['language']}-{row['prompt_id']:04d}", row["language"], row["test_case_prompt"],
                       row.get("cwe_identifier"), row.get("pattern_id")) for row in rows]
    except (KeyError, TypeError) as exc:
        raise SafeCoderError(f"{path} is not in CyberSecEval's {set_name} format (missing {exc})") from None


def select(prompts: list[Prompt], languages: tuple[str, ...] = (), limit: int = 0) -> list[Prompt]:
    """The prompts of `languages` (all when empty), at most `limit`, languages taken in turn."""
    kept = [p for p in prompts if not languages or p.language in languages]
    if not limit or limit >= len(kept):
        return kept
    by_language: dict[str, list[Prompt]] = defaultdict(list)
    for prompt in kept:
        by_language[prompt.language].append(prompt)
    chosen: list[Prompt] = []
    queues = [list(reversed(group)) for group in by_language.values()]
    while len(chosen) < limit:
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop())
    return chosen
