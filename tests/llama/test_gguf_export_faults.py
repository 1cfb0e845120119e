"""A full disk during a GGUF export: a clear error, the earlier export and the manifest
intact, and the same export succeeding once space is back.

The disk is real: a tmpfs mounted on the registry version's `gguf/` folder (root only,
skipped otherwise), resized so that the conversion itself, or the quantization after it,
runs out of space. The model is a small random Llama with the embedded model's tokenizer,
converted by llama.cpp's real converter and quantizer in seconds.

Also `kill -9` of a real `safecoder export gguf` at seeded points, then the same command
again (`test_kill_9_during_an_export_then_rerun_writes_the_uninterrupted_files`).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from small_disk import small_disk

from safecoder.hashing import sha256_file
from safecoder.models.gguf_export import ExportConfig, GGUFExportError, export_gguf

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, embedded_model) -> Path:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny-model")
    tokenizer = AutoTokenizer.from_pretrained(embedded_model.weights)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _kib(size: int) -> int:
    return -(-size // 1024)


@pytest.mark.parametrize("fails_while", ["converting to f16", "quantizing to q8_0"])
def test_a_full_disk_during_an_export_leaves_the_earlier_export_and_manifest(tiny_model, registry_root,
                                                                             fails_while):
    from safecoder.registry import Registry

    registry = Registry()
    version = registry.register(tiny_model, kind="full", base_model="random tiny llama").version
    gguf = registry.version_dir(version) / "gguf"
    with small_disk(gguf, "64m") as disk:
        (earlier,) = export_gguf(version, ExportConfig(types=("f16",)))
        entries = registry.get(version).gguf
        used = _kib(earlier.bytes) + 64
        # Room for nothing, or for a second f16 but not for the q8_0 made from it.
        room = 256 if fails_while.startswith("converting") else _kib(earlier.bytes) + _kib(earlier.bytes) // 4
        disk.resize(f"{used + room}k")

        with pytest.raises(GGUFExportError) as failure:
            export_gguf(version, ExportConfig(types=("f16", "q8_0")))
        message = str(failure.value)
        assert f"no space left on the device of {gguf} while {fails_while}" in message
        assert f"{version}.f16.gguf, {version}.q8_0.gguf not written" in message
        assert "earlier exports and the manifest are unchanged" in message
        assert sorted(p.name for p in gguf.iterdir()) == [earlier.path.name], "no partial or scratch file left"
        assert sha256_file(earlier.path) == earlier.sha256
        assert registry.get(version).gguf == entries

        disk.resize("64m")
        f16, q8 = export_gguf(version, ExportConfig(types=("f16", "q8_0")))
        assert f16.sha256 == earlier.sha256, "the converter is deterministic: the same f16 file"
        assert [e["quantization"] for e in registry.get(version).gguf] == ["f16", "q8_0"]
        assert sha256_file(q8.path) == registry.get(version).gguf[1]["sha256"]


KILL_POINT = Path(__file__).resolve().parents[1] / "kill_point.py"
KILL_SEED = 5


def _export(registry_root: Path, *point: str, trace: Path | None = None) -> subprocess.Popen:
    """`safecoder -v export gguf v0001 --type f16 --type q8_0` under `tests/kill_point.py`, in its own
    process group (a kill takes the converter or quantizer subprocess with it)."""
    command = [sys.executable, str(KILL_POINT), *point, *(["--trace", str(trace)] if trace else []), "--",
               "export", "gguf", "v0001", "--type", "f16", "--type", "q8_0", "--threads", "1"]
    env = {**os.environ, "SAFECODER_REGISTRY": str(registry_root), "COLUMNS": "200"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    _, errors = process.communicate(timeout=600)
    return process.returncode, errors


def _entries(registry) -> list[dict]:
    """The manifest's GGUF entries but their time and the checkout's version (others commit meanwhile)."""
    return [{k: v for k, v in e.items() if k not in ("created_at", "code_version")} for e in registry.get("v0001").gguf]


def test_kill_9_during_an_export_then_rerun_writes_the_uninterrupted_files(tiny_model, tmp_path):
    """SIGKILL at seeded renames (`tests/kill_point.py`) and once at a seeded moment of the converter's
    run, then the export again: the files are byte-identical to an uninterrupted export's, the
    manifest records the same entries, nothing partial ever shows at a final path, no scratch
    folder is left, and an export killed after recording its files is completed, not redone."""
    from safecoder.registry import Registry

    reference = Registry(tmp_path / "reference")
    reference.register(tiny_model, kind="full", base_model="random tiny llama", aliases=())
    trace = tmp_path / "trace.tsv"
    code, errors = _finish(_export(reference.root, trace=trace))
    assert code == 0, errors
    renames = [Path(line.split("\t")[1]).name for line in trace.read_text().splitlines()]
    # convert (partial -> scratch), quantize (partial -> scratch), the manifest, the two moves into place
    assert renames == ["v0001.f16.gguf", "v0001.q8_0.gguf", "manifest.json", "v0001.f16.gguf", "v0001.q8_0.gguf"]
    expected = {p.name: sha256_file(p) for p in (reference.version_dir("v0001") / "gguf").iterdir()}
    assert sorted(expected) == ["v0001.f16.gguf", "v0001.q8_0.gguf"]

    registry = Registry(tmp_path / "killed")
    registry.register(tiny_model, kind="full", base_model="random tiny llama", aliases=())
    gguf = registry.version_dir("v0001") / "gguf"
    randomness = random.Random(KILL_SEED)
    commit = renames.index("manifest.json") + 1
    kills = [("--before", str(randomness.randint(1, commit))), "converting",
             ("--after", str(randomness.randint(commit, len(renames) - 1)))]
    for kill in kills:
        if kill == "converting":  # a moment of the converter's run: its partial file has appeared
            process = _export(registry.root)
            deadline = time.monotonic() + 300
            while not list(gguf.glob(".export-*/.*.partial")) and process.poll() is None:
                assert time.monotonic() < deadline, "the converter wrote nothing within 300 s"
                time.sleep(0.02)
            time.sleep(randomness.uniform(0, 0.3))
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        else:
            process = _export(registry.root, *kill)
        code, errors = _finish(process)
        assert code == -signal.SIGKILL, f"{kill}: {errors}"
        for path in gguf.iterdir():  # nothing partial at a final path: absent, or the finished file
            assert path.name.startswith(".") or sha256_file(path) == expected[path.name], kill

    # The last kill came after the manifest recorded the export: the rerun completes it.
    assert [e["quantization"] for e in registry.get("v0001").gguf] == ["f16", "q8_0"]
    code, errors = _finish(_export(registry.root))
    assert code == 0, errors
    assert "resumed:" in errors and "nothing was converted again" in errors, errors
    assert {p.name: sha256_file(p) for p in gguf.iterdir()} == expected, "byte-identical; no scratch folder left"
    assert _entries(registry) == _entries(reference)

    # Killed before recording: the rerun removes the scratch folder and converts again.
    process = _export(registry.root, "--before", str(commit))
    assert _finish(process)[0] == -signal.SIGKILL
    assert list(gguf.glob(".export-*")), "the killed export's scratch folder"
    code, errors = _finish(_export(registry.root))
    assert code == 0, errors
    assert "left by an interrupted export" in errors
    assert {p.name: sha256_file(p) for p in gguf.iterdir()} == expected
    assert _entries(registry) == _entries(reference)
