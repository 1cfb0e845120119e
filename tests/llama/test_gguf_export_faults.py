"""A full disk during a GGUF export: a clear error, the earlier export and the manifest
intact, and the same export succeeding once space is back.

The disk is real: a tmpfs mounted on the registry version's `gguf/` folder (root only,
skipped otherwise), resized so that the conversion itself, or the quantization after it,
runs out of space. The model is a small random Llama with the embedded model's tokenizer,
converted by llama.cpp's real converter and quantizer in seconds.
"""

from __future__ import annotations

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
