"""A second account (the serving one) can read a registry another account wrote.

Real users: as root the test creates a throw-away user with `useradd`, writes a registry
under a chosen umask, and reads it back as that user in a subprocess; the user is removed
afterwards. Files holding secrets stay 0600 whatever the umask.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

from safecoder.atomic import write_text
from safecoder.registry import Registry

needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None,
                                reason="creating a second user needs root and useradd")


@pytest.fixture
def reader():
    """A fresh unprivileged user and group, removed after the test."""
    name = f"sc{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
                   check=True, capture_output=True, timeout=30)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=False, capture_output=True, timeout=30)


@pytest.fixture
def shared_root():
    root = Path("/tmp") / f"safecoder-perm-{uuid.uuid4().hex[:8]}"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _with_umask(mask: int, action):
    previous = os.umask(mask)
    try:
        return action()
    finally:
        os.umask(previous)


def _read_as(user: str, paths: list[Path]) -> subprocess.CompletedProcess:
    script = "import sys\nfor p in sys.argv[1:]:\n    open(p).read()\nprint('read', len(sys.argv) - 1)\n"
    return subprocess.run(["python3", "-c", script, *map(str, paths)], user=user, capture_output=True, text=True,
                          timeout=30, check=False)


def _register(root: Path, weights: Path):
    registry = Registry(root / "registry")
    return registry, registry.register(weights, kind="full", base_model="smollm2-135m")


def _private_weights(folder: Path) -> Path:
    folder.mkdir()
    for name in ("config.json", "model.safetensors"):
        (folder / name).write_text("{}")
        (folder / name).chmod(0o600)  # as a trainer's atomic writes used to leave them
    return folder


@needs_root
def test_a_group_or_world_umask_lets_the_serving_account_read_the_registry(reader, shared_root):
    weights = _private_weights(shared_root / "weights")
    registry, manifest = _with_umask(0o022, lambda: _register(shared_root, weights))
    version_dir = registry.version_dir(manifest.version)
    readable = [version_dir / "manifest.json", registry.aliases_file, version_dir / "weights" / "config.json"]
    done = _read_as(reader, readable)
    assert done.returncode == 0 and done.stdout.strip() == "read 3", done.stderr
    assert stat.S_IMODE(version_dir.stat().st_mode) == 0o755
    assert stat.S_IMODE((version_dir / "weights" / "model.safetensors").stat().st_mode) == 0o644


@needs_root
def test_a_private_umask_keeps_the_registry_to_its_owner_and_secrets_stay_0600(reader, shared_root):
    weights = _private_weights(shared_root / "weights")
    registry, manifest = _with_umask(0o077, lambda: _register(shared_root, weights))
    done = _read_as(reader, [registry.version_dir(manifest.version) / "manifest.json"])
    assert done.returncode != 0 and "Permission denied" in done.stderr
    key = shared_root / "api-key"
    _with_umask(0o022, lambda: write_text(key, "sk-test", private=True))
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    done = _read_as(reader, [key])
    assert done.returncode != 0 and "Permission denied" in done.stderr
