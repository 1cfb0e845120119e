"""`kill -9` of a real `safecoder registry register` at each of its renames, then the same
command again: one version, with every alias, as an uninterrupted registration leaves it.

A registration with two aliases makes four renames: the manifest into the staging folder,
the staging folder to `v0001` (the version exists), then `aliases.json` once per alias.
The command runs under `tests/kill_point.py`, which SIGKILLs it just before or just after
each of them (all 8 points; a kill anywhere between two renames leaves what a kill at the
second leaves, plus scratch files). The rerun must finish the registration: a version
already published is found by its content and lineage ("already registered as v0001")
and given the aliases it lacks, never published a second time.

Also the rules of `register_once` (what makes content "the same") on a real registry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from registry_state import registry_state

from safecoder.registry import Registry

KILL_POINT = Path(__file__).resolve().parents[1] / "kill_point.py"
ALIASES = ("--alias", "candidate", "--alias", "nightly")


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (folder / "model.safetensors").write_bytes(bytes(range(256)) * 64)
    return folder


def _register(root: Path, weights: Path, *point: str, trace: Path | None = None,
              extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    command = [sys.executable, str(KILL_POINT), *point, *(["--trace", str(trace)] if trace else []), "--",
               "registry", "register", str(weights), *ALIASES, *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SAFECODER_REGISTRY": str(root), "COLUMNS": "200"})


def test_kill_9_at_each_rename_of_a_registration_then_rerun_ends_with_one_version(tmp_path, weights):
    reference = Registry(tmp_path / "reference")
    trace = tmp_path / "trace.tsv"
    done = _register(reference.root, weights, trace=trace)
    assert done.returncode == 0, done.stderr
    renames = [Path(line.split("\t")[1]).name for line in trace.read_text().splitlines()]
    assert renames == ["manifest.json", "v0001", "aliases.json", "aliases.json"], "the kill points below"
    expected = registry_state(reference, listing=True)
    assert reference.aliases() == {"candidate": "v0001", "nightly": "v0001"}

    for n in range(1, len(renames) + 1):
        for when in ("--before", "--after"):
            root = tmp_path / f"killed{when}-{n}"
            killed = _register(root, weights, when, str(n))
            assert killed.returncode == -9, killed.stderr
            registry = Registry(root)
            published = registry.versions() == ["v0001"]
            assert published == (n > 2 or (n == 2 and when == "--after")), f"{when} {n}"
            lacking = [a for a in ("candidate", "nightly") if a not in registry.aliases()]
            rerun = _register(root, weights)
            assert rerun.returncode == 0, f"{when} {n}\n{rerun.stderr}"
            assert "Traceback" not in rerun.stderr
            if published:
                assert (f"already registered as v0001 (full); nothing was added; aliases set now: "
                        f"{', '.join(lacking) or 'none'}") in rerun.stdout, f"{when} {n}: {rerun.stdout}"
            else:
                assert "registered v0001 (full)" in rerun.stdout and "already" not in rerun.stdout, rerun.stdout
            assert registry_state(registry, listing=True) == expected, f"killed {when} {n}"

            # Once more: nothing changes, byte for byte, and the command says where the content is.
            aliases_before = registry.aliases_file.read_bytes()
            again = _register(root, weights)
            assert again.returncode == 0, again.stderr
            assert "already registered as v0001 (full); nothing was added; aliases set now: none" in again.stdout
            assert registry.aliases_file.read_bytes() == aliases_before and registry.versions() == ["v0001"]


def test_a_registration_killed_between_publishing_and_its_aliases_is_finished_by_the_rerun(tmp_path, weights):
    root = tmp_path / "registry"
    assert _register(root, weights, "--after-target", "v0001").returncode == -9
    registry = Registry(root)
    assert registry.versions() == ["v0001"] and registry.aliases() == {}, "published, no alias yet"

    rerun = _register(root, weights)
    assert rerun.returncode == 0, rerun.stderr
    assert "already registered as v0001 (full); nothing was added; aliases set now: candidate, nightly" in rerun.stdout
    assert registry.versions() == ["v0001"]
    assert registry.aliases() == {"candidate": "v0001", "nightly": "v0001"}
    assert [e["action"] for e in registry.history()] == ["register", "register"]


def test_register_once_compares_files_base_and_lineage_not_notes(tmp_path, weights):
    registry = Registry(tmp_path / "registry")
    first = registry.register_once(weights, kind="full", base_model="smollm2-135m", notes="first")
    assert not first.existing and first.manifest.version == "v0001" and first.aliases_set == ("candidate",)

    same = registry.register_once(weights, kind="full", base_model="smollm2-135m", notes="another note")
    assert same.existing and same.manifest.version == "v0001" and same.aliases_set == ()
    assert registry.get("v0001").notes == "first", "the version keeps its own notes"

    # Any difference in content or lineage is another version.
    other_base = registry.register_once(weights, kind="full", base_model="qwen2.5-coder-0.5b", aliases=())
    other_data = registry.register_once(weights, kind="full", base_model="smollm2-135m", data={"pairs": "ab12"},
                                        aliases=())
    other_parent = registry.register_once(weights, kind="full", base_model="smollm2-135m", parent="v0001",
                                          aliases=())
    (weights / "model.safetensors").write_bytes(b"changed")
    other_files = registry.register_once(weights, kind="full", base_model="smollm2-135m", aliases=())
    assert [r.manifest.version for r in (other_base, other_data, other_parent, other_files)] == \
        ["v0002", "v0003", "v0004", "v0005"]
    assert not any(r.existing for r in (other_base, other_data, other_parent, other_files))

    # An alias the version's registration set, moved on since, is not moved back by a rerun;
    # a new alias asked for is set.
    registry.set_alias("candidate", "v0005")
    (weights / "model.safetensors").write_bytes(bytes(range(256)) * 64)
    again = registry.register_once(weights, kind="full", base_model="smollm2-135m", aliases=("candidate", "review"))
    assert again.existing and again.manifest.version == "v0001" and again.aliases_set == ("review",)
    assert registry.aliases() == {"candidate": "v0005", "review": "v0001"}


def test_plain_register_still_adds_a_version_each_time(tmp_path):
    """Programs and tests that want two versions of one model (two `embedded` versions to
    promote between) ask `register`, which does not look for an existing one."""
    registry = Registry(tmp_path / "registry")
    for _ in range(2):
        registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    assert registry.versions() == ["v0001", "v0002"]
