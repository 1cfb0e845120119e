"""Packaged models: named references, assembly of split files, hash checks, clear errors.

The assembly and verification paths run on small packages this test writes into a
folder on `sys.path` (real import machinery, real files); the real 491 MB code model is
checked by the tests marked `code_model`.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from safecoder.models import packaged, resolve
from safecoder.models.packaged import PackagedModel, PackagedModelError, PackagePart


def _fake_model(root: Path, chunks: list[bytes], name: str = "fake-split") -> PackagedModel:
    """Writes one importable package per chunk under `root` and describes them as a model."""
    parts = []
    for index, chunk in enumerate(chunks, start=1):
        module = f"safecoder_test_{name.replace('-', '_')}_part{index}"
        folder = root / module / "data"
        folder.mkdir(parents=True)
        (root / module / "__init__.py").write_text("")
        (folder / f"part{index:02d}.bin").write_bytes(chunk)
        parts.append(PackagePart(f"{name}-part{index}", "1.0", module, f"data/part{index:02d}.bin"))
    whole = b"".join(chunks)
    return PackagedModel(
        name=name, display_name=name, license="test", credit="test", parts=tuple(parts),
        gguf_name=f"{name}.gguf", gguf_sha256=hashlib.sha256(whole).hexdigest(), gguf_size=len(whole),
    )


@pytest.fixture
def fake_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFECODER_HOME", str(tmp_path / "home"))
    monkeypatch.syspath_prepend(str(tmp_path / "packages"))
    (tmp_path / "packages").mkdir()
    return tmp_path


def test_split_model_is_assembled_once_and_verified(fake_home):
    model = _fake_model(fake_home / "packages", [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5])
    path = packaged.gguf_path(model)
    assert path == packaged.assembled_path(model)
    assert path.read_bytes() == b"GGUF" + b"a" * 1000 + b"b" * 777 + b"c" * 5
    mtime = path.stat().st_mtime_ns
    assert packaged.gguf_path(model) == path and path.stat().st_mtime_ns == mtime  # not assembled again


def test_a_corrupted_part_is_an_error_naming_both_hashes_and_leaves_nothing(fake_home):
    model = _fake_model(fake_home / "packages", [b"GGUF" + b"a" * 1000, b"b" * 777])
    part = fake_home / "packages" / model.parts[1].module / model.parts[1].file
    part.write_bytes(b"b" * 776 + b"X")  # one byte flipped, same size
    wrong = hashlib.sha256(b"GGUF" + b"a" * 1000 + b"b" * 776 + b"X").hexdigest()
    with pytest.raises(PackagedModelError) as caught:
        packaged.gguf_path(model)
    assert wrong in str(caught.value) and model.gguf_sha256 in str(caught.value)
    cache = packaged.assembled_path(model).parent
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []


def test_a_torn_cached_file_is_rebuilt_from_the_packages(fake_home):
    model = _fake_model(fake_home / "packages", [b"GGUF" + b"a" * 100, b"b" * 50])
    path = packaged.gguf_path(model)
    path.write_bytes(path.read_bytes()[:60])  # torn: another process's view of a half copy
    packaged._verified.clear()  # a new process: verified again before its first use
    assert packaged.gguf_path(model).read_bytes() == b"GGUF" + b"a" * 100 + b"b" * 50


def test_a_missing_wheel_names_the_package_and_the_install_command(fake_home):
    model = _fake_model(fake_home / "packages", [b"GGUF", b"rest"])
    missing = PackagePart("fake-split-part9", "1.0", "safecoder_test_not_installed", "data/part09.bin")
    broken = PackagedModel(**{**model.__dict__, "parts": (*model.parts, missing)})
    with pytest.raises(PackagedModelError, match=r"`fake-split-part9` is not installed.*make install"):
        packaged.gguf_path(broken)


def test_default_follows_the_environment_and_rejects_unknown_names(monkeypatch):
    monkeypatch.setenv(packaged.DEFAULT_ENV, "qwen2.5-coder-0.5b")
    assert packaged.lookup("default") is packaged.QWEN25_CODER_05B
    monkeypatch.delenv(packaged.DEFAULT_ENV)
    assert packaged.default_name() == "qwen2.5-coder-0.5b"  # the product's default
    monkeypatch.setenv(packaged.DEFAULT_ENV, "gpt-17")
    with pytest.raises(PackagedModelError, match="names no packaged model"):
        packaged.lookup("default")


def test_every_pinned_wheel_is_in_the_requirements_file_with_a_hash():
    text = (Path(__file__).resolve().parents[2] / packaged.REQUIREMENTS_FILE).read_text()
    for model in packaged.CATALOG:
        for part in model.parts:
            line = next((ln for ln in text.splitlines() if ln.startswith(f"{part.distribution}=={part.version} ")), None)
            assert line is not None and "--hash=sha256:" in line, part.distribution


@pytest.mark.code_model
def test_the_code_model_resolves_to_its_verified_gguf(code_model):
    assert code_model.kind == "packaged" and code_model.name == "Qwen2.5-Coder-0.5B-Instruct"
    assert code_model.gguf.stat().st_size == packaged.QWEN25_CODER_05B.gguf_size
    digest = hashlib.sha256(code_model.gguf.read_bytes()).hexdigest()
    assert digest == packaged.QWEN25_CODER_05B.gguf_sha256
    assert code_model.weights is None  # resolving converts nothing


@pytest.mark.code_model
def test_model_list_shows_the_catalog_and_the_default():
    env_free = {k: v for k, v in __import__("os").environ.items() if k != packaged.DEFAULT_ENV}
    done = subprocess.run([sys.executable, "-m", "safecoder", "model", "list"], capture_output=True, text=True,
                          timeout=120, env=env_free)
    assert done.returncode == 0, done.stderr
    assert "qwen2.5-coder-0.5b (default)" in done.stdout and "smollm2-135m" in done.stdout
    assert "Apache-2.0" in done.stdout and "no: run" not in done.stdout


def test_resolving_by_name_and_alias_gives_the_same_model():
    by_alias, by_name = resolve("smollm2-135m-instruct"), resolve("smollm2-135m")
    assert by_alias.gguf == by_name.gguf and by_name.gguf_sha256 == packaged.SMOLLM2_135M.gguf_sha256
