"""GGUF export with llama.cpp's real converter and quantizer, on small real checkpoints.

A two-layer Llama with random weights and the embedded model's tokenizer (plus
StarCoder's fill-in-the-middle tokens) stands in for a code model with FIM support:
exporting it takes seconds, and its GGUF vocabulary is what the engine reads.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from safecoder.engines import GenerationRequest, SamplingParams, create_engine
from safecoder.engines.base import run_sync
from safecoder.models.gguf_export import ExportConfig, GGUFExportError, export_gguf

pytestmark = pytest.mark.slow

FIM_TOKENS = ["<fim_prefix>", "<fim_middle>", "<fim_suffix>"]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory, embedded_model) -> Path:
    """A small random Llama whose tokenizer has StarCoder's FIM tokens, saved as transformers weights."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny-fim-model")
    tokenizer = AutoTokenizer.from_pretrained(embedded_model.weights)
    tokenizer.add_tokens(FIM_TOKENS, special_tokens=True)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         tie_word_embeddings=True)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_version(tiny_base, tmp_path_factory):
    """`tiny_base` registered in a registry of its own and exported to f16 and q8_0."""
    from safecoder.registry import Registry

    root = tmp_path_factory.mktemp("tiny-registry")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFECODER_REGISTRY", str(root))
        version = Registry().register(tiny_base, kind="full", base_model="random tiny llama").version
        files = export_gguf(version, ExportConfig(types=("f16", "q8_0")))
    return root, version, files


def test_fim_format_is_read_from_the_gguf_vocabulary(tiny_version):
    _, version, files = tiny_version
    f16 = files[0].path
    assert f16.name == f"{version}.f16.gguf"
    assert not list(f16.parent.glob(".*")), "no temporary files are left behind"
    engine = create_engine("llama", str(f16), parallel_sequences=1, kv_cache_tokens=512, batch_tokens=64)
    try:
        fim = engine.fim_format
        assert fim is not None and fim.name == "starcoder"
        ids = engine.tokenize(fim.render("total = 0\n", "\nprint(total)\n"))
        sentinels = [engine.vocabulary.index(token) for token in FIM_TOKENS]
        assert all(ids.count(token) == 1 for token in sentinels)
        result = engine.generate_batch([GenerationRequest(fim.render("x = ", "\n"), SamplingParams(max_new_tokens=4))])
        assert result[0].completions[0].token_count >= 1
    finally:
        run_sync(engine.close())


def test_an_adapter_is_merged_into_its_base_before_conversion(tiny_base, tmp_path):
    from gguf import GGUFReader
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from safecoder.models import resolve
    from safecoder.models.loading import load_for_generation

    adapter_dir = tmp_path / "adapter"
    network = AutoModelForCausalLM.from_pretrained(tiny_base)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["v_proj"], init_lora_weights=False, task_type="CAUSAL_LM")
    get_peft_model(network, lora).save_pretrained(adapter_dir)
    (exported,) = export_gguf(str(adapter_dir), ExportConfig(types=("f32",)))
    assert exported.path.parent == adapter_dir, "an adapter's export lands beside the adapter, not in its base"
    model = resolve(str(adapter_dir))
    assert model.is_adapter and model.gguf == exported.path

    merged, _ = load_for_generation(model, dtype="float32", device="cpu")
    expected = merged.model.layers[0].self_attn.v_proj.weight.detach().numpy()
    base = AutoModelForCausalLM.from_pretrained(tiny_base).model.layers[0].self_attn.v_proj.weight.detach().numpy()
    tensor = next(t for t in GGUFReader(exported.path).tensors if t.name == "blk.0.attn_v.weight")
    stored = np.asarray(tensor.data).reshape(expected.shape)
    assert np.allclose(stored, expected, atol=1e-6)
    assert not np.allclose(stored, base, atol=1e-4), "the adapter's change is in the exported weights"


def test_exports_are_recorded_and_later_quantizations_reuse_the_float_export(tiny_version, monkeypatch):
    from safecoder.models import resolve
    from safecoder.registry import Registry

    root, version, files = tiny_version
    monkeypatch.setenv("SAFECODER_REGISTRY", str(root))
    registry = Registry()
    folder = registry.version_dir(version)
    entries = registry.get(version).gguf
    assert [(e["file"], e["quantization"], e["quantized_from"]) for e in entries] == [
        (f"gguf/{version}.f16.gguf", "f16", None), (f"gguf/{version}.q8_0.gguf", "q8_0", "f16")]
    assert [e["sha256"] for e in entries] == [f.sha256 for f in files]
    assert resolve(version).gguf == folder / "gguf" / f"{version}.q8_0.gguf"

    # With no converter at hand, q4_0 can only come from the recorded f16 file.
    with monkeypatch.context() as without_converter:
        without_converter.setenv("SAFECODER_LLAMA_CONVERTER", str(folder / "no-converter.py"))
        (q4,) = export_gguf(version, ExportConfig(types=("q4_0",)))
    assert q4.bytes < files[1].bytes < files[0].bytes
    assert resolve(version).gguf == q4.path
    # Exporting a type again replaces its file and its entry; the others stay.
    export_gguf(version, ExportConfig(types=("q8_0",)))
    assert [e["quantization"] for e in registry.get(version).gguf] == ["f16", "q4_0", "q8_0"]
    assert sorted(p.name for p in (folder / "gguf").iterdir()) == [
        f"{version}.f16.gguf", f"{version}.q4_0.gguf", f"{version}.q8_0.gguf"]


def test_failed_conversions_leave_no_file_and_no_record(tiny_base, registry_root, tmp_path):
    from safecoder.registry import Registry

    broken = tmp_path / "broken"
    shutil.copytree(tiny_base, broken)
    config = json.loads((broken / "config.json").read_text())
    config["architectures"] = ["NoSuchModelForCausalLM"]
    (broken / "config.json").write_text(json.dumps(config))
    registry = Registry()
    version = registry.register(broken, kind="full", base_model="broken").version
    with pytest.raises(GGUFExportError, match="NoSuchModelForCausalLM"):
        export_gguf(version, ExportConfig(types=("f16",)))
    assert registry.get(version).gguf == []
    assert list((registry.version_dir(version) / "gguf").iterdir()) == []

    no_tokenizer = tmp_path / "no-tokenizer"
    no_tokenizer.mkdir()
    shutil.copy(tiny_base / "config.json", no_tokenizer)
    with pytest.raises(GGUFExportError, match="holds no tokenizer"):
        export_gguf(str(no_tokenizer), ExportConfig(types=("f16",)))


def test_the_cli_explains_what_cannot_be_exported(embedded_model, registry_root, capsys, monkeypatch, tmp_path):
    from safecoder.cli import main
    from safecoder.registry import Registry

    assert main(["export", "gguf", "default"]) == 2
    assert "ships as GGUF" in capsys.readouterr().err
    gguf_only = Registry().register(embedded_model.gguf, kind="gguf", base_model="default").version
    assert main(["export", "gguf", gguf_only]) == 2
    assert "no transformers weights" in capsys.readouterr().err
    assert main(["export", "check", gguf_only]) == 2
    assert "no transformers weights" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "gguf", gguf_only, "--type", "q3_x"])
    monkeypatch.setenv("SAFECODER_LLAMA_CONVERTER", str(tmp_path / "missing.py"))
    with pytest.raises(GGUFExportError, match="SAFECODER_LLAMA_CONVERTER"):
        export_gguf(str(embedded_model.weights), ExportConfig(types=("f16",)))
