"""LLM-written instructions for security pairs, through any OpenAI-compatible endpoint.

Input: `SecurityPair`s without instructions, and the endpoint settings of
`InstructConfig`: by default the project's own server (`safecoder
serve`, http://127.0.0.1:8000/v1), or any provider by base URL and an API key taken from
an environment variable. Output: the pairs with their instructions (and the answering
model in their provenance), and an `InstructionReport` listing the pairs left without one.

The prompt is the paper's (`SEC_DESCRIPTION_TEMPLATE`): the vulnerable function as
snippet 1, the fixed one as snippet 2. Each answer is checked: non-empty, at most two
sentences, at least 4 and at most `instruct_max_words` words, no code block, no run of 8
words repeated from the request or its code (small models echo both), not a loop of the
same few words, names the programming language (or, with `instruct_add_language`, gets
it put in front when that is its only fault), and holds none of the security words of
`keywords.yaml`. A rejected answer gets one re-ask that says why; a pair whose answer fails twice, or whose requests fail, keeps an
empty instruction and is reported.

Requests go through the official `openai` client, whose own retries (exponential
backoff on connection errors, 408, 409, 429 and 5xx) do the retrying; a token bucket
keeps to `instruct_rpm`. Raw answers are cached by the hash of the request (endpoint,
model, messages, sampling settings) under `SAFECODER_HOME/cache/instructions`, so a
resumed or repeated run asks again only what it never got, and changing the checks
re-judges cached answers without new requests. Not here: choosing which pairs to keep,
beyond leaving out, on request, those too long to train on.

A full disk under the cache stops the writing with an `InstructionCacheFull` naming the
cache folder: each answer is one file written atomically, so the answers cached before
are intact, and no further request is sent once an answer could not be kept (it would be
lost too); the run that follows, with space freed, re-uses every cached answer and asks
only for the rest.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from safecoder import languages, paths
from safecoder.atomic import write_json
from safecoder.collector.config import InstructConfig
from safecoder.collector.keywords import WordList
from safecoder.data.records import SecurityPair
from safecoder.disk_space import out_of_space
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_json

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

logger = logging.getLogger(__name__)

# The paper's prompt, verbatim.
SEC_DESCRIPTION_TEMPLATE = (
    "Create a single very short (maximum two sentences) not detailed functionality description that could be "
    "used as a prompt to generate either of the code snippets below. Always include the name of the programming "
    "language in the instruction. My life depends on the instruction being short and undetailed, excluding any "
    "security-specific features:\n\nSnippet 1:\n{snippet1}\n\nSnippet 2:\n{snippet2}"
)
REASK_TEMPLATE = (
    "That answer cannot be used: {reasons}. Reply with the description only: at most two short sentences "
    "that name the programming language ({language}) and say nothing about security."
)
PROMPT_VERSION = "1"

LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "python": ("Python",),
    "c": ("C", "C++"),
    "go": ("Go", "Golang"),
    "java": ("Java",),
    "javascript": ("JavaScript", "JS", "Node.js", "Node", "ECMAScript"),
    "ruby": ("Ruby",),
}


class EndpointError(SafeCoderError):
    """The instruction endpoint cannot be reached or has no usable model."""


class InstructionCacheFull(SafeCoderError):
    """The device of the answer cache is full: an answer could not be kept."""


@dataclass
class InstructionOutcome:
    instruction: str = ""
    accepted: bool = False
    attempts: int = 0
    reasons: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class InstructionReport:
    model: str = ""
    endpoint: str = ""
    written: int = 0
    already_had: int = 0
    failed: list[dict] = field(default_factory=list)
    requests: int = 0
    cached_answers: int = 0

    def to_dict(self) -> dict:
        return {
            "model": self.model, "endpoint": self.endpoint, "written": self.written,
            "already_had": self.already_had, "failed": len(self.failed), "failures": self.failed,
            "requests": self.requests, "cached_answers": self.cached_answers,
        }


def build_prompt(pair: SecurityPair) -> str:
    return SEC_DESCRIPTION_TEMPLATE.format(snippet1=pair.vulnerable_code, snippet2=pair.secure_code)


def clean_answer(text: str) -> str:
    """Whitespace collapsed, one pair of wrapping quotes and a leading label removed.

    Small models often answer "Snippet 1: <description> Snippet 2: <description>": the
    label goes, and so does the second snippet's description (both describe the same
    functionality, and the prompt asks for one).
    """
    text = " ".join(text.split())
    text = re.sub(r"^(instruction|prompt|description|answer|snippet\s*[12])\s*:\s*", "", text, flags=re.IGNORECASE)
    text = re.split(r"\s+snippet\s*2\s*:", text, maxsplit=1, flags=re.IGNORECASE)[0].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1].strip()
    return text


def judge_answer(cleaned: str, language_id: str, security_words: WordList, max_words: int,
                 add_language: bool, request: str = "") -> tuple[str, list[str]]:
    """The instruction an answer gives, and why it is unusable (empty when it passes).

    With `add_language`, an answer whose only fault is that it does not name the
    language is kept with the language put in front ("Python: ..."): the language is known
    from the pair, and a re-ask costs a request that small models answer worse.
    """
    reasons = check_instruction(cleaned, language_id, security_words, max_words, request)
    if add_language and len(reasons) == 1 and not names_language(cleaned, language_id):
        return f"{languages.get(language_id).display_name}: {cleaned}", []
    return cleaned, reasons


# An answer that repeats this many words in a row of the request (its instructions or a
# snippet) echoes instead of describing: small models paste the prompt or the code back.
COPIED_RUN_WORDS = 8
# Fewer words do not describe a function ("C++", "AllocateDataSet: C/C++").
MIN_WORDS = 4


def check_instruction(text: str, language_id: str, security_words: WordList, max_words: int,
                      request: str = "") -> list[str]:
    """Why an answer is unusable; empty when it passes. `request`: the prompt it answers."""
    if not text:
        return ["the answer is empty"]
    reasons = []
    if "```" in text:
        reasons.append("it contains code")
    if request and repeats_words(text, request, COPIED_RUN_WORDS):
        reasons.append(f"it repeats {COPIED_RUN_WORDS} or more words in a row of the request or its code")
    if loops(text):
        reasons.append("it says the same words over and over")
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    if len(sentences) > 2:
        reasons.append(f"it has {len(sentences)} sentences (at most 2)")
    words = len(text.split())
    if words > max_words:
        reasons.append(f"it has {words} words (at most {max_words})")
    elif words < MIN_WORDS:
        reasons.append(f"it has {words} words (at least {MIN_WORDS})")
    if not names_language(text, language_id):
        reasons.append(f"it does not name the language ({languages.get(language_id).display_name})")
    found = security_words.find(text)
    if found:
        reasons.append(f"it mentions security ({', '.join(sorted(set(found)))})")
    return reasons


def repeats_words(text: str, source: str, run: int) -> bool:
    """Whether `text` holds `run` whitespace-separated words in a row of `source` (case aside)."""
    words = text.lower().split()
    haystack = " " + " ".join(source.lower().split()) + " "
    return any(" " + " ".join(words[i:i + run]) + " " in haystack for i in range(len(words) - run + 1))


def loops(text: str) -> bool:
    """Whether `text` says the same words over and over: 6 words or more, under half of
    them distinct (a description repeats few words; a loop repeats most)."""
    words = text.lower().split()
    return len(words) >= 6 and len(set(words)) < len(words) / 2


def names_language(text: str, language_id: str) -> bool:
    for name in LANGUAGE_NAMES[language_id]:
        if len(name) <= 2:
            pattern = rf"(?<![\w.]){re.escape(name)}(?![\w#])"  # "C", "Go", "JS": exact case
            if re.search(pattern, text):
                return True
        elif re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text, flags=re.IGNORECASE):
            return True
    return False


class RateLimiter:
    """At most `per_minute` calls per minute across threads (0 = unlimited)."""

    def __init__(self, per_minute: float):
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.next_slot = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


class InstructionWriter:
    """Writes instructions for pairs through one endpoint and model."""

    def __init__(self, config: InstructConfig, security_words: Sequence[str]):
        from openai import OpenAI

        if config.instruct == "none":
            raise ValueError("InstructionWriter needs an endpoint; instruct is 'none'")
        self.config = config
        self.security_words = WordList(list(security_words))
        api_key = os.environ.get(config.instruct_api_key_env, "") or "no-key"
        self.client = OpenAI(base_url=config.instruct, api_key=api_key, max_retries=config.instruct_retries,
                             timeout=config.instruct_timeout_s)
        self.limiter = RateLimiter(config.instruct_rpm)
        self.model = config.instruct_model
        self.cache_dir = paths.cache_dir("instructions") if config.instruct_cache else None
        self.report = InstructionReport(endpoint=config.instruct)
        self._lock = threading.Lock()
        self._cache_full: InstructionCacheFull | None = None  # set once: no request is sent after it

    def preflight(self) -> str:
        """The model to ask (the first listed when none is configured); fails early when unreachable."""
        import openai

        try:
            listed = [m.id for m in self.client.models.list()]
        except openai.APIError as exc:
            raise EndpointError(
                f"cannot reach the instruction endpoint {self.config.instruct} ({exc.__class__.__name__}: {exc}); "
                "start the project's server with `safecoder serve`, pass --instruct URL (and --instruct-api-key-env), "
                "or --instruct none to leave instructions empty"
            ) from None
        if not self.model:
            if not listed:
                raise EndpointError(f"the endpoint {self.config.instruct} lists no model; pass --instruct-model")
            self.model = listed[0]
        self.report.model = self.model
        return self.model

    def write_all(self, pairs: Sequence[SecurityPair], overwrite: bool = False, progress: bool = True) -> list[SecurityPair]:
        """Pairs with instructions filled in (order kept); failures keep an empty one and are reported."""
        from tqdm import tqdm

        if not self.model:
            self.preflight()
        todo = [i for i, p in enumerate(pairs) if overwrite or not p.has_instruction]
        self.report.already_had += len(pairs) - len(todo)
        result = list(pairs)
        with ThreadPoolExecutor(max_workers=self.config.instruct_concurrency) as pool:
            # A full cache raises from the first pair it reaches in order; the requests in
            # flight then finish (their answers are not kept) and no new one starts.
            outcomes = pool.map(lambda i: self.write_one(pairs[i]), todo)
            for index, outcome in tqdm(zip(todo, outcomes, strict=True), total=len(todo), desc="instructions", unit="pair",
                                       disable=not progress):
                pair = pairs[index]
                if outcome.accepted:
                    result[index] = pair.with_instruction(outcome.instruction, self.model)
                    self.report.written += 1
                else:
                    result[index] = pair.with_instruction("", self.model) if overwrite else pair
                    self.report.failed.append({
                        "id": pair.id, "cwe": pair.cwe, "language": pair.language,
                        "repository": pair.provenance.repository, "commit": pair.provenance.commit,
                        "function": pair.provenance.function, "attempts": outcome.attempts,
                        "reasons": outcome.reasons, "error": outcome.error, "last_answer": outcome.instruction,
                    })
        return result

    def write_one(self, pair: SecurityPair) -> InstructionOutcome:
        import openai

        outcome = InstructionOutcome()
        messages = [{"role": "user", "content": build_prompt(pair)}]
        for attempt in (1, 2):
            outcome.attempts = attempt
            try:
                answer = self._ask(messages)
            except openai.APIError as exc:
                outcome.error = f"{exc.__class__.__name__}: {exc}"[:500]
                return outcome
            instruction, reasons = judge_answer(clean_answer(answer), pair.language, self.security_words,
                                                self.config.instruct_max_words, self.config.instruct_add_language,
                                                # every user turn: the prompt and the re-ask
                                                request="\n".join(m["content"] for m in messages if m["role"] == "user"))
            outcome.instruction = instruction
            outcome.reasons = reasons
            if not reasons:
                outcome.accepted = True
                return outcome
            language_name = languages.get(pair.language).display_name
            messages = [*messages, {"role": "assistant", "content": answer},
                        {"role": "user", "content": REASK_TEMPLATE.format(reasons="; ".join(reasons), language=language_name)}]
        return outcome

    def _ask(self, messages: list[dict]) -> str:
        request = {
            "endpoint": self.config.instruct, "model": self.model, "messages": messages,
            "temperature": self.config.instruct_temperature, "seed": self.config.instruct_seed,
            "max_tokens": self.config.instruct_max_tokens, "prompt_version": PROMPT_VERSION,
        }
        key = sha256_json(request)
        cached = self._cache_get(key)
        if cached is not None:
            with self._lock:
                self.report.cached_answers += 1
            return cached
        if self._cache_full is not None:
            raise self._cache_full
        self.limiter.wait()
        response = self.client.chat.completions.create(
            # Plain role/content dicts are what the client sends; its TypedDict union is not
            # inferred from a list literal.
            model=self.model, messages=cast("list[ChatCompletionMessageParam]", messages), temperature=self.config.instruct_temperature,
            seed=self.config.instruct_seed, max_tokens=self.config.instruct_max_tokens,
        )
        with self._lock:
            self.report.requests += 1
        answer = response.choices[0].message.content or ""
        self._cache_put(key, request, answer)
        return answer

    def _cache_get(self, key: str) -> str | None:
        if self.cache_dir is None:
            return None
        path = self.cache_dir / key[:2] / f"{key}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))["answer"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            return None

    def _cache_put(self, key: str, request: dict, answer: str) -> None:
        if self.cache_dir is None:
            return
        shard = self.cache_dir / key[:2]
        try:
            write_json(shard / f"{key}.json", {"model": request["model"], "endpoint": request["endpoint"],
                                               "answer": answer})
        except OSError as exc:
            if not out_of_space(exc):
                raise
            with self._lock:
                if self._cache_full is None:
                    self._cache_full = InstructionCacheFull(
                        f"no space left on the device of the instruction cache {self.cache_dir} while keeping an "
                        f"answer of {self.model}: that answer was not kept and no further request was sent; the "
                        f"answers cached before are intact ({self.report.cached_answers} of them re-used by this "
                        f"run); free space (or pass --no-instruct-cache) and run it again: cached answers are "
                        f"re-used, only the rest is asked")
                full = self._cache_full
            with contextlib.suppress(OSError):
                shard.rmdir()  # a shard folder made for this answer alone; one holding answers stays
            raise full from exc


@dataclass
class FillResult:
    pairs: int
    report: InstructionReport
    row_errors: list[str]
    manifest: Path
    skipped_long: int = 0


def fill_instructions(source: str | os.PathLike, out: str | os.PathLike, config: InstructConfig,
                      security_words: Sequence[str], overwrite: bool = False, progress: bool = True,
                      max_program_chars: int = 0) -> FillResult:
    """Fill in the instructions of every pair in a file or folder of any supported format.

    `max_program_chars` (0: no limit) leaves out, unasked, each pair whose longer program
    has more characters: a pair the trainer would drop as overlong costs the longest
    requests of the run and gives nothing (SVEN's C functions run to thousands of
    characters). They are counted in the manifest's `skipped_long`.
    """
    from safecoder.config import to_dict
    from safecoder.data.jsonl import write_records
    from safecoder.data.loaders import load_security_pairs
    from safecoder.hashing import code_version, sha256_file, sha256_tree

    loaded = load_security_pairs(source)
    if not loaded.records:
        raise SafeCoderError(f"{source} holds no security pair ({len(loaded.errors)} unreadable rows); "
                             "give a SafeCoder, paper-format or SVEN pair file or folder")
    if max_program_chars < 0:
        raise SafeCoderError(f"max_program_chars must be 0 (no limit) or more, got {max_program_chars}")
    records = loaded.records
    if max_program_chars:
        records = [p for p in records if max(len(p.secure_code), len(p.vulnerable_code)) <= max_program_chars]
        if not records:
            raise SafeCoderError(f"every one of the {len(loaded.records)} pairs in {source} has a program over "
                                 f"{max_program_chars} characters; raise --max-program-chars or give 0 for no limit")
    skipped_long = len(loaded.records) - len(records)
    writer = InstructionWriter(config, security_words)
    writer.preflight()
    pairs = writer.write_all(records, overwrite=overwrite, progress=progress)
    out = Path(out)
    count = write_records(out, pairs)
    manifest = out.with_name(out.name + ".manifest.json")
    write_json(manifest, {
        "kind": "security_pairs_manifest",
        "output": str(out.resolve()),
        "output_sha256": sha256_file(out),
        "pairs": count,
        "input": {"path": str(Path(source).resolve()), "sha256": sha256_tree(source), "files": loaded.files},
        "row_errors": [str(e) for e in loaded.errors],
        "max_program_chars": max_program_chars,
        "skipped_long": skipped_long,
        "code_version": code_version(),
        "instruct_config": to_dict(config),
        "prompt_version": PROMPT_VERSION,
        "instructions": writer.report.to_dict(),
    })
    return FillResult(count, writer.report, [str(e) for e in loaded.errors], manifest, skipped_long)
