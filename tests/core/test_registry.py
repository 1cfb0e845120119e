"""The registry against concurrent writers and interrupted writes, with real processes."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safecoder.registry import Registry, RegistryError


def make_weights(folder: Path, size: int = 1024, marker: str = "a") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "marker": marker}))
    (folder / "model.safetensors").write_bytes(os.urandom(size))
    return folder


def test_register_alias_promote_and_rollback(tmp_path):
    registry = Registry(tmp_path / "reg")
    v1 = registry.register(make_weights(tmp_path / "w1"), kind="full", base_model="default",
                           data={"pairs": "abc"}, config={"lr": 2e-5}, notes="first")
    v2 = registry.register(make_weights(tmp_path / "w2"), kind="full", base_model="default", parent=v1.version)
    assert [v1.version, v2.version] == ["v0001", "v0002"]
    assert registry.aliases() == {"candidate": "v0002"}
    manifest = registry.get("v0001")
    assert manifest.config_hash and manifest.data == {"pairs": "abc"} and manifest.notes == "first"
    assert set(manifest.files) == {"weights/config.json", "weights/model.safetensors"}
    assert registry.get("candidate").parent == "v0001"

    registry.promote("v0001", reason="baseline")
    registry.promote("candidate", reason="better", evidence={"security": 0.9})
    assert registry.aliases()["production"] == "v0002"
    assert registry.get("v0002").promotions[-1]["evidence"] == {"security": 0.9}
    assert registry.rollback("production") == "v0001"
    assert registry.aliases()["production"] == "v0001"
    with pytest.raises(RegistryError, match="no earlier version"):
        registry.rollback("production")
    actions = [e["action"] for e in registry.history("production")]
    assert actions == ["promote", "promote", "rollback"]


def test_registered_weights_resolve_as_a_model(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFECODER_REGISTRY", str(tmp_path / "reg"))
    from safecoder.models import resolve

    registry = Registry()
    registry.register(make_weights(tmp_path / "w"), kind="full", base_model="default")
    registry.promote("v0001", reason="test")
    model = resolve("production")
    assert model.kind == "registry" and model.registry_version == "v0001"
    assert (model.weights / "config.json").is_file()
    assert model.weights.is_relative_to(tmp_path / "reg")


def test_bad_references_and_inputs_are_clear_errors(tmp_path):
    registry = Registry(tmp_path / "reg")
    with pytest.raises(RegistryError, match="no version v0009"):
        registry.get("v0009")
    with pytest.raises(RegistryError, match="neither a version"):
        registry.get("staging")
    with pytest.raises(RegistryError, match=r"has no config\.json"):
        registry.register(tmp_path, kind="full", base_model="default")
    registry.register(make_weights(tmp_path / "w"), kind="full", base_model="default")
    with pytest.raises(RegistryError, match="invalid alias"):
        registry.set_alias("v0002", "v0001")


def _register_many(root: str, source: str, count: int, barrier) -> None:
    registry = Registry(root)
    barrier.wait()
    for _ in range(count):
        manifest = registry.register(source, kind="full", base_model="default")
        registry.set_alias("candidate", manifest.version)
        registry.promote(manifest.version, reason=f"pid {os.getpid()}")


def test_two_processes_registering_and_promoting_at_once(tmp_path):
    source = make_weights(tmp_path / "w", size=256 * 1024)
    root = tmp_path / "reg"
    Registry(root)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_register_many, args=(str(root), str(source), 6, barrier)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    registry = Registry(root)
    assert registry.versions() == [f"v{i:04d}" for i in range(1, 13)]
    for manifest in registry.list():
        assert manifest.files["weights/model.safetensors"] == registry.list()[0].files["weights/model.safetensors"]
    history = registry.history("production")
    assert len(history) == 12
    assert registry.aliases()["production"] == history[-1]["to"]
    # Every promotion recorded which process made it, and none was lost.
    reasons = [e["reason"] for e in history]
    assert len(set(reasons)) == 2 and all(r.startswith("pid ") for r in reasons)


def test_a_registration_killed_mid_copy_leaves_no_version(tmp_path):
    root = tmp_path / "reg"
    source = make_weights(tmp_path / "big", size=1)
    # Many files make the copy slow enough to kill part-way.
    for i in range(4000):
        (source / f"shard-{i}.bin").write_bytes(b"x" * 2048)
    script = (
        "import sys; from safecoder.registry import Registry\n"
        "Registry(sys.argv[1]).register(sys.argv[2], kind='full', base_model='default')\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(root), str(source)])
    versions_dir = root / "versions"
    deadline = time.time() + 60
    while time.time() < deadline:
        staging = list(versions_dir.glob(".staging-*")) if versions_dir.exists() else []
        if staging and any(staging[0].rglob("shard-*")):
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    registry = Registry(root)
    assert registry.versions() == [], "a half-copied version must not be listed"
    assert list(versions_dir.glob(".staging-*")), "the killed writer's staging folder is still there"
    registry.register(make_weights(tmp_path / "small"), kind="full", base_model="default")
    assert registry.versions() == ["v0001"]
    assert not list(versions_dir.glob(".staging-*")), "the next writer removed the dead staging folder"


def test_embedded_version_refers_to_the_default_model(tmp_path):
    registry = Registry(tmp_path / "reg")
    manifest = registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=("production",))
    assert manifest.kind == "embedded" and manifest.files == {}
    assert registry.aliases() == {"production": "v0001"}
