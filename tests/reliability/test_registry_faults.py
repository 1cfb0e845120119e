"""Torn registry files and a full disk: clear errors naming the file, the previous state intact.

Real registries on real file systems; the full disk is a 2 MB tmpfs mounted for the test
(needs root, skipped otherwise) and remounted larger to show that a later run succeeds.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from safecoder.models.reference import resolve_registered
from safecoder.registry import Registry
from safecoder.registry.manifest import MANIFEST_FILE
from safecoder.registry.store import RegistryError


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    registry = Registry(tmp_path / "registry")
    registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=("candidate",))
    return registry


@pytest.mark.parametrize("torn", [
    pytest.param(lambda text: text[: len(text) // 2], id="truncated"),
    pytest.param(lambda text: "", id="empty"),
    pytest.param(lambda text: "\x00\xff garbage", id="garbage"),
    pytest.param(lambda text: "[1, 2]", id="json-not-a-manifest"),
    pytest.param(lambda text: "{}", id="fields-missing"),
])
def test_a_torn_manifest_is_a_clear_error_naming_the_file(registry: Registry, torn) -> None:
    path = registry.version_dir("v0001") / MANIFEST_FILE
    path.write_text(torn(path.read_text()), encoding="utf-8", errors="surrogateescape")
    with pytest.raises(RegistryError) as caught:
        registry.get("candidate")
    assert str(path) in str(caught.value) and "corrupt" in str(caught.value)
    with pytest.raises(RegistryError, match=r"manifest\.json is corrupt"):
        resolve_registered(registry, "v0001")


def test_a_torn_alias_file_is_a_clear_error_naming_the_file(registry: Registry) -> None:
    text = registry.aliases_file.read_text()
    registry.aliases_file.write_text(text[: len(text) // 3])
    with pytest.raises(RegistryError) as caught:
        registry.aliases()
    assert str(registry.aliases_file) in str(caught.value)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 2 MB tmpfs at tmp_path/disk, and a function that resizes it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], check=True, timeout=30)

    def resize(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(mount_point)], check=True, timeout=30)

    try:
        yield mount_point, resize
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True, timeout=30)


def test_a_full_disk_during_a_registry_copy_leaves_no_half_version(small_disk, tmp_path: Path) -> None:
    mount_point, resize = small_disk
    registry = Registry(mount_point / "registry")
    registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=("candidate", "production"))
    aliases_before = registry.aliases_file.read_bytes()
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (weights / "model.safetensors").write_bytes(os.urandom(3 * 1024 * 1024))  # more than the disk holds

    with pytest.raises(RegistryError, match="no space left on the device") as caught:
        registry.register(weights, kind="full", base_model="smollm2-135m", aliases=("candidate",))
    assert str(registry.root) in str(caught.value)
    assert registry.versions() == ["v0001"]
    assert registry.aliases_file.read_bytes() == aliases_before
    assert not list(registry.versions_dir.glob(".staging-*")), "the half-copied staging folder was left behind"
    assert sorted(p.name for p in registry.versions_dir.iterdir()) == ["v0001"]

    resize("16m")
    manifest = registry.register(weights, kind="full", base_model="smollm2-135m", aliases=("candidate",))
    assert manifest.version == "v0002"
    assert registry.aliases() == {"candidate": "v0002", "production": "v0001"}
    assert (registry.version_dir("v0002") / "weights" / "model.safetensors").stat().st_size == 3 * 1024 * 1024
