"""A full disk under the instruction writer's answer cache (`SAFECODER_HOME/cache/instructions`).

Everything is real: the instruction-writing model is the project's own server
(`safecoder serve` on the embedded SmolLM2-135M, on loopback), the pairs are SVEN's, and
the full disk is a tmpfs mounted on the cache folder for the test (root only, skipped
otherwise), filled, then given space back.

Checked: the error names the cache folder and says what was and was not kept; every
answer cached before is byte-identical and no temporary file is left; no request is sent
after the answer that could not be kept; the next run, with space, re-uses every cached
answer and asks only for the pair that had none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from collector_testing import read_rows, start_project_server
from small_disk import SmallDisk, small_disk

from safecoder.collector.config import InstructConfig
from safecoder.collector.instructions import (
    InstructionCacheFull,
    InstructionWriter,
    fill_instructions,
)
from safecoder.collector.keywords import load_keywords
from safecoder.data.loaders import load_security_pairs

pytestmark = pytest.mark.slow
WORDS = load_keywords(None).instruction_security_words


@pytest.fixture(scope="module")
def project_server(tmp_path_factory, embedded_model):
    server = start_project_server(tmp_path_factory.mktemp("server") / "serve.log")
    yield server
    server.stop()


def _sven_pairs(shared_data: Path, path: Path, count: int) -> Path:
    rows = [json.loads(line) for line in (shared_data / "security_pairs/sven/train/cwe-089.jsonl").read_text().splitlines()]
    shortest = sorted(rows, key=lambda r: len(r["func_src_before"]))[:count]
    path.write_text("".join(json.dumps(r) + "\n" for r in shortest))
    return path


def _fill(disk: SmallDisk) -> Path:
    """A file that takes every free byte of the disk."""
    filler = disk.path / "filler"
    with open(filler, "wb") as handle:
        try:
            handle.write(b"\0" * disk.free)
            handle.flush()
        except OSError:
            pass  # the last page did not fit: the disk is full, as wanted
    return filler


def _cached(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "filler"}


def test_a_full_instruction_cache_is_a_clear_error_and_the_next_run_reuses_the_cached_answers(
        project_server, shared_data, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SAFECODER_HOME", str(home))
    cache = home / "cache" / "instructions"
    two = _sven_pairs(shared_data, tmp_path / "two.jsonl", 2)
    three = _sven_pairs(shared_data, tmp_path / "three.jsonl", 3)
    config = InstructConfig(instruct=f"{project_server.url}/v1", instruct_temperature=0.0, instruct_seed=7,
                            instruct_max_tokens=24)

    with small_disk(cache, "256k") as disk:
        first = fill_instructions(two, tmp_path / "two-out.jsonl", config, WORDS, progress=False)
        assert first.report.requests >= 2  # one or two per pair (a rejected answer is asked again)
        before = _cached(cache)
        assert len(before) == first.report.requests, "one cached answer per request"
        filler = _fill(disk)

        # The first two pairs come from the cache; the third pair's answer cannot be kept.
        writer = InstructionWriter(config, WORDS)
        with pytest.raises(InstructionCacheFull) as failure:
            writer.write_all(load_security_pairs(three).records, progress=False)
        message = str(failure.value)
        assert f"no space left on the device of the instruction cache {cache}" in message
        assert "that answer was not kept and no further request was sent" in message
        assert "free space" in message and "cached answers are re-used" in message
        assert writer.report.cached_answers == first.report.requests
        assert writer.report.requests == 1, "nothing asked after the answer that could not be kept"
        assert _cached(cache) == before, "the earlier answers are intact, and nothing half-written is left"
        assert sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()) == \
            sorted([*before, "filler"]), "no temporary file left"

        # The same through `collect instruct`'s function: no output is written.
        out = tmp_path / "three-out.jsonl"
        with pytest.raises(InstructionCacheFull):
            fill_instructions(three, out, config, WORDS, progress=False)
        assert not out.exists() and _cached(cache) == before

        filler.unlink()
        again = fill_instructions(three, out, config, WORDS, progress=False)
        assert again.report.cached_answers == first.report.requests, "every earlier answer re-used"
        assert 1 <= again.report.requests <= 2, "only the third pair is asked"
        after = _cached(cache)
        assert {k: v for k, v in after.items() if k in before} == before
        assert len(after) == len(before) + again.report.requests

    earlier = {r["id"]: r["instruction"] for r in read_rows(tmp_path / "two-out.jsonl")}
    resumed = {r["id"]: r["instruction"] for r in read_rows(out)}
    assert len(resumed) == 3 and {k: resumed[k] for k in earlier} == earlier
