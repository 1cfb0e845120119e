"""The SafeCoder model shipped in the repository: written from a promoted version, checked
byte for byte, and registered as `production` on first use where the registry has none.

The shipped Qwen2.5-Coder adapter applies to the Qwen default only; the suite's default
is the 135M model, so these tests ship an adapter of the 135M model (made here with PEFT,
random non-zero factors) into a catalog folder of their own (`SAFECODER_SHIPPED_MODELS`),
through the same `ship` a release uses. The last test reads the repository's own catalog.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safecoder.models import shipped
from safecoder.registry import Registry
from safecoder.server.model_slot import choose_reference

GATE_EVIDENCE = {"passed": True, "forced": False, "promoted": True,
                 "checks": [{"check": "security (combined)", "candidate": 70.0, "production": 65.0, "passed": True}]}


@pytest.fixture(scope="module")
def small_adapter(small_lora_adapter) -> Path:
    return small_lora_adapter


def _register(registry: Registry, adapter: Path, promote: str | None = "gate") -> str:
    version = registry.register(adapter, kind="adapter", base_model="smollm2-135m",
                                data={"train.jsonl": "ab" * 32}, config={"learning_rate": 1e-4}).version
    registry.add_evaluation(version, {"suite": "cpu-suite", "summary": {"security": 70.0}})
    if promote == "gate":
        registry.promote(version, reason="promotion gate passed", evidence=GATE_EVIDENCE)
    elif promote == "forced":
        registry.promote(version, reason="forced by hand", evidence={**GATE_EVIDENCE, "passed": False, "forced": True})
    return version


@pytest.fixture
def catalog(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "shipped"
    monkeypatch.setenv(shipped.CATALOG_ENV, str(folder))
    return folder


def _fresh_registry(tmp_path: Path, monkeypatch, name: str) -> Registry:
    root = tmp_path / name
    monkeypatch.setenv("SAFECODER_REGISTRY", str(root))
    return Registry(root)


@pytest.mark.slow
def test_ship_writes_the_adapter_in_float16_with_its_provenance(small_adapter, catalog, tmp_path, monkeypatch):
    from safetensors import safe_open

    registry = _fresh_registry(tmp_path, monkeypatch, "made-here")
    version = _register(registry, small_adapter)
    model = shipped.ship(registry, version, "safecoder-small", rebuild="make rebuild-model")

    assert model.folder == catalog / "safecoder-small"
    assert sorted(p.name for p in model.adapter_dir.iterdir()) == sorted(shipped.ADAPTER_FILES)
    with safe_open(str(model.adapter_dir / "adapter_model.safetensors"), framework="pt") as handle:
        dtypes = {str(handle.get_tensor(key).dtype) for key in handle.keys()}
    assert dtypes == {"torch.float16"}
    size = (model.adapter_dir / "adapter_model.safetensors").stat().st_size
    assert size < 0.6 * (small_adapter / "adapter_model.safetensors").stat().st_size
    written = shipped.ShippedManifest.read(model.folder / shipped.MANIFEST_FILE)
    assert written.made_from["version"] == version and written.rebuild == "make rebuild-model"
    assert written.data == {"train.jsonl": "ab" * 32} and written.config == {"learning_rate": 1e-4}
    assert written.gate_decision is not None and written.gate_decision["evidence"]["passed"] is True
    assert written.evaluations[-1]["summary"] == {"security": 70.0}
    config = json.loads((model.adapter_dir / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == "smollm2-135m"  # not this machine's cache path
    model.verify()


@pytest.mark.slow
def test_the_served_artifacts_own_evaluation_and_gate_decision_are_shipped(small_adapter, catalog, tmp_path,
                                                                           monkeypatch):
    registry = _fresh_registry(tmp_path, monkeypatch, "made-here")
    made = _register(registry, small_adapter)
    first = shipped.ship(registry, made, "safecoder-small")
    artifact = shipped.register(registry, first)  # what users get: float16, merged into q8_0
    assert registry.get(artifact).gguf[-1]["quantization"] == "q8_0"
    with pytest.raises(shipped.ShippedModelError, match="never passed by the gate"):
        shipped.ship(registry, made, "safecoder-small", served=artifact)
    registry.add_evaluation(artifact, {"suite": "cpu-suite", "summary": {"security": 68.0}})
    artifact_decision = {**GATE_EVIDENCE, "candidate": artifact}
    registry.promote(artifact, reason="promotion gate passed (the artifact)", evidence=artifact_decision)

    with pytest.raises(shipped.ShippedModelError, match="is not this shipped adapter"):
        shipped.ship(registry, made, "safecoder-small", served=made)  # the float32 original is another file
    final = shipped.ship(registry, made, "safecoder-small", served=artifact)
    assert final.manifest.served["version"] == artifact
    assert final.manifest.served["evaluation"]["summary"] == {"security": 68.0}
    assert final.manifest.gate_decision is not None
    assert final.manifest.gate_decision["evidence"] == artifact_decision
    assert final.manifest.all_evaluations[-1]["summary"] == {"security": 68.0}

    users = _fresh_registry(tmp_path, monkeypatch, "users-registry")
    assert choose_reference(None)[0] == "production"
    production = users.get("production")
    assert production.evaluations[-1]["summary"] == {"security": 68.0}  # what the gate there reuses
    assert production.promotions[-1]["evidence"] == artifact_decision


@pytest.mark.slow
@pytest.mark.parametrize("promotion", [None, "forced"])
def test_a_version_the_gate_did_not_pass_is_not_shipped(small_adapter, catalog, tmp_path, monkeypatch, promotion):
    registry = _fresh_registry(tmp_path, monkeypatch, "made-here")
    version = _register(registry, small_adapter, promote=promotion)
    with pytest.raises(shipped.ShippedModelError, match="never promoted by the gate"):
        shipped.ship(registry, version, "safecoder-small")
    assert not (catalog / "safecoder-small").exists()
    assert not catalog.exists() or not [p for p in catalog.iterdir() if not p.name.startswith(".")]


@pytest.fixture
def shipped_small(small_adapter, catalog, tmp_path, monkeypatch) -> shipped.ShippedModel:
    registry = _fresh_registry(tmp_path, monkeypatch, "made-here")
    return shipped.ship(registry, _register(registry, small_adapter), "safecoder-small")


@pytest.mark.slow
def test_first_use_registers_the_shipped_model_as_production_once(shipped_small, tmp_path, monkeypatch):
    registry = _fresh_registry(tmp_path, monkeypatch, "users-registry")
    reference, why = choose_reference(None)
    assert reference == "production" and "safecoder-small" in why and "first use" in why
    production = registry.get("production")
    assert production.kind == "adapter" and production.base_model == "smollm2-135m"
    assert production.promotions[-1]["evidence"] == GATE_EVIDENCE
    assert "first use" in production.promotions[-1]["reason"]
    assert production.evaluations[-1]["summary"] == {"security": 70.0}
    assert production.extra["shipped"]["name"] == "safecoder-small"
    served = registry.version_dir(production.version) / production.adapter
    assert (served / "adapter_model.safetensors").read_bytes() == \
        (shipped_small.adapter_dir / "adapter_model.safetensors").read_bytes()

    merged = production.gguf[-1]
    assert merged["quantization"] == "q8_0"  # served as one merged GGUF (ShippedManifest.serve_gguf)
    from safecoder.models import resolve

    assert resolve("production").gguf == registry.version_dir(production.version) / merged["file"]

    again, why_again = choose_reference(None)
    assert again == "production" and "registry's `production`" in why_again
    assert registry.versions() == [production.version]


def _another_release(adapter: Path, folder: Path) -> Path:
    """The same adapter with every factor halved: other bytes, so another model to ship."""
    import shutil

    from safetensors.torch import load_file, save_file

    folder.mkdir()
    for name in ("adapter_config.json", "safecoder-base.json"):
        shutil.copyfile(adapter / name, folder / name)
    tensors = {k: v * 0.5 for k, v in load_file(adapter / "adapter_model.safetensors").items()}
    save_file(tensors, folder / "adapter_model.safetensors", metadata={"format": "pt"})
    return folder


@pytest.mark.slow
def test_a_new_release_of_the_shipped_model_replaces_the_earlier_one_once(shipped_small, small_adapter, tmp_path,
                                                                          monkeypatch):
    """A registry set up by the first use follows the next release; a rollback from it sticks."""
    users = _fresh_registry(tmp_path, monkeypatch, "users-registry")
    assert choose_reference(None)[0] == "production"
    earlier = users.version_of("production")

    made_here = _fresh_registry(tmp_path, monkeypatch, "made-here")
    newer = _register(made_here, _another_release(small_adapter, tmp_path / "release-2"))
    release = shipped.ship(made_here, newer, "safecoder-small")  # the same name: the release replaces the folder
    assert release.manifest.made_from["version"] == newer

    users = _fresh_registry(tmp_path, monkeypatch, "users-registry")
    reference, why = choose_reference(None)
    assert reference == "production" and "replaced the earlier shipped model" in why
    production = users.get("production")
    assert production.version != earlier and production.extra["shipped"]["made_from"]["version"] == newer
    assert f"replaces the earlier shipped model {earlier}" in production.promotions[-1]["reason"]
    assert production.promotions[-1]["evidence"] == GATE_EVIDENCE
    assert production.gguf[-1]["quantization"] == "q8_0"
    served = users.version_dir(production.version) / production.adapter / "adapter_model.safetensors"
    assert served.read_bytes() == (release.adapter_dir / "adapter_model.safetensors").read_bytes()

    users.rollback("production")  # the user goes back to the earlier model on purpose
    reference, why = choose_reference(None)
    assert "registry's `production`" in why and users.version_of("production") == earlier
    assert users.versions() == [earlier, production.version]


@pytest.mark.slow
def test_a_registry_with_its_own_production_keeps_it(shipped_small, small_adapter, tmp_path, monkeypatch):
    registry = _fresh_registry(tmp_path, monkeypatch, "users-registry")
    own = registry.register(None, kind="embedded", base_model="smollm2-135m").version
    registry.promote(own, reason="the user's choice")
    assert choose_reference(None)[0] == "production"
    assert registry.versions() == [own] and registry.version_of("production") == own


@pytest.mark.slow
def test_a_changed_byte_is_an_error_naming_the_file_and_nothing_is_registered(shipped_small, tmp_path, monkeypatch):
    weights = shipped_small.adapter_dir / "adapter_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0x01
    weights.write_bytes(bytes(data))
    registry = _fresh_registry(tmp_path, monkeypatch, "users-registry")
    with pytest.raises(shipped.ShippedModelError, match=r"adapter_model\.safetensors is not the file shipped"):
        choose_reference(None)
    assert registry.versions() == [] and not registry.knows("production")


@pytest.mark.slow
def test_a_manifest_that_drops_a_files_hash_is_refused(shipped_small, tmp_path, monkeypatch):
    manifest_path = shipped_small.folder / shipped.MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    del manifest["files"]["adapter_model.safetensors"]
    manifest_path.write_text(json.dumps(manifest))
    registry = _fresh_registry(tmp_path, monkeypatch, "users-registry")
    with pytest.raises(shipped.ShippedModelError, match=r"records no hash for adapter_model\.safetensors"):
        choose_reference(None)
    assert registry.versions() == []


@pytest.mark.slow
def test_a_shipped_model_of_another_base_is_not_served(shipped_small, tmp_path, monkeypatch):
    manifest_path = shipped_small.folder / shipped.MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "base_model": "qwen2.5-coder-0.5b"}))
    registry = _fresh_registry(tmp_path, monkeypatch, "users-registry")
    reference, why = choose_reference(None)
    assert reference == "default" and "no shipped SafeCoder model for this default" in why
    assert registry.versions() == []


def test_the_repository_ships_the_model_the_gate_passed(monkeypatch):
    monkeypatch.delenv(shipped.CATALOG_ENV, raising=False)
    monkeypatch.setenv("SAFECODER_DEFAULT_MODEL", "qwen2.5-coder-0.5b")
    model = shipped.for_default_model()
    assert model is not None and model.manifest.base_model == "qwen2.5-coder-0.5b"
    model.verify()
    assert model.manifest.dtype == "float16" and model.manifest.rebuild
    served = model.manifest.served  # the merged q8_0 artifact itself was measured and gated
    assert served["gguf"][-1]["quantization"] == model.manifest.serve_gguf == "q8_0"
    assert served["evaluation"]["summary"]["answer_rate"] >= 95
    decision = model.manifest.gate_decision
    assert decision is served["promotion"]
    assert decision["evidence"]["passed"] and not decision["evidence"]["forced"]
    assert decision["evidence"]["production"] != decision["evidence"]["candidate"]  # measured against another model
    checks = {c["check"]: c for c in decision["evidence"]["checks"]}
    assert {"security (combined)", "humaneval pass@1", "mbpp pass@1", "answer rate (benign prompts)"} <= set(checks)
    assert all(c["passed"] for c in checks.values())
    assert model.manifest.data and model.manifest.code_version and model.manifest.config_hash
    size = sum(p.stat().st_size for p in model.folder.rglob("*") if p.is_file())
    assert size < 8_000_000


def test_the_committed_candidate_is_intact_unpromoted_and_names_its_recipe(monkeypatch):
    """data/candidates holds a trained adapter carried to the next session's measurement (it is
    not a catalog the product serves from): its files match its manifest, the gate never passed
    it, and it says how to rebuild it."""
    root = Path(__file__).resolve().parents[2] / "data" / "candidates"
    monkeypatch.setenv(shipped.CATALOG_ENV, str(root))
    candidates = {model.name: model for model in shipped.catalog()}
    v5 = candidates["safecoder-qwen2.5-coder-0.5b-v5"]
    v5.verify()
    assert v5.manifest.dtype == "float16" and v5.manifest.gate_decision is None and not v5.manifest.served
    assert v5.manifest.rebuild == "safecoder train --config configs/cpu-qwen2.5-coder-0.5b-v5.yaml"
    assert v5.manifest.config["num_train_epochs"] == 2
    monkeypatch.delenv(shipped.CATALOG_ENV)
    assert "safecoder-qwen2.5-coder-0.5b-v5" not in {model.name for model in shipped.catalog()}


@pytest.mark.slow
def test_serve_without_a_model_serves_the_shipped_model(shipped_small, tmp_path, monkeypatch):
    """`make serve` on a machine whose registry is empty: the shipped model answers."""
    import httpx
    from serve_process import start_serve

    from safecoder.engines import GenerationRequest, SamplingParams, create_engine
    from safecoder.engines.base import run_sync

    registry = _fresh_registry(tmp_path, monkeypatch, "users-registry")
    monkeypatch.delenv("SAFECODER_API_KEYS", raising=False)
    prompts = ["def add(a, b):\n    return", "The capital of France is", "for i in range(10):\n    print("]
    server = start_serve(["--engine", "llama"], tmp_path / "serve.log")
    try:
        health = httpx.get(f"{server.url}/health", timeout=30).json()
        served = [httpx.post(f"{server.url}/v1/completions", timeout=120, json={
            "model": "production", "prompt": p, "max_tokens": 12, "temperature": 0,
            "safecoder": {"gate": "off"}}).json()["choices"][0]["text"] for p in prompts]
    finally:
        server.stop()
    version = registry.version_of("production")
    assert registry.get(version).extra["shipped"]["name"] == "safecoder-small"
    assert "first use" in registry.get(version).promotions[-1]["reason"]
    assert health["model"]["version"] == version and health["model"]["adapter"] is True

    def greedy(reference: str) -> list[str]:
        engine = create_engine("llama", reference)
        try:  # one at a time, as the server got them (llama.cpp's sums depend on the batch)
            return [run_sync(engine.generate(GenerationRequest(p, SamplingParams(max_new_tokens=12, temperature=0))))
                    .texts[0] for p in prompts]
        finally:
            run_sync(engine.close())

    assert served == greedy(version)  # the merged GGUF of the shipped adapter
    assert served != greedy("smollm2-135m"), "the server answered like the untuned base"
