"""One way into `production`: the promotion gate, whichever command runs it, with its decision recorded.

A real registry in the test's folder (`registry_root`) and the real `safecoder` command in
a subprocess. Forced promotions use no evaluation (the gate runs nothing when forced), so
no model is loaded; the gate's comparisons themselves are tested in
tests/benchmarks/test_promotion.py.
"""

import json
import subprocess
import sys

import pytest

from safecoder.registry import Registry, RegistryError


def safecoder(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "safecoder", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def registry(registry_root) -> Registry:
    registry = Registry(registry_root)
    for _ in range(2):
        registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    registry.promote("v0001", reason="first version")
    return registry


def test_registry_promote_runs_the_promotion_gate_and_needs_a_reason_to_force(registry):
    refused = safecoder("registry", "promote", "v0002", "--force")
    assert refused.returncode == 2 and "--force needs --reason" in refused.stderr
    assert registry.aliases()["production"] == "v0001"

    forced = safecoder("registry", "promote", "v0002", "--force", "--reason", "hotfix for a CVE", "--no-progress")
    assert forced.returncode == 0, forced.stderr
    assert "promoted v0002 to production (forced: hotfix for a CVE)" in " ".join(forced.stdout.split())
    assert registry.aliases()["production"] == "v0002"
    event = registry.history("production")[-1]
    assert (event["action"], event["from"], event["to"]) == ("promote", "v0001", "v0002")
    assert event["reason"] == "forced: hotfix for a CVE"
    assert event["decision"]["forced"] and event["decision"]["candidate"] == "v0002"
    assert registry.get("v0002").extra["gate_decisions"][-1]["force_reason"] == "hotfix for a CVE"
    assert "forced" in safecoder("registry", "history", "production").stdout


def test_registry_promote_takes_the_gates_options(registry_root):
    shown = safecoder("registry", "promote", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "--pass1-tolerance" in shown.stdout and "--force" in shown.stdout


def test_production_cannot_be_set_by_hand(registry):
    for args in (("registry", "alias", "production", "v0002"), ("registry", "register", "default", "--alias", "production")):
        done = safecoder(*args)
        assert done.returncode == 2 and "safecoder promote" in done.stderr, done.stderr
    assert registry.aliases()["production"] == "v0001"
    assert [m.version for m in registry.list()] == ["v0001", "v0002"]


def test_every_move_of_production_records_its_decision(tmp_path):
    registry = Registry(tmp_path / "reg")
    registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    with pytest.raises(RegistryError, match="safecoder promote"):
        registry.set_alias("production", "v0001")
    with pytest.raises(RegistryError, match="needs a reason"):
        registry.promote("v0001", reason=" ")
    assert "production" not in registry.aliases()
    registry.promote("v0001", reason="promotion gate passed", evidence={"passed": True, "forced": False})
    event = registry.history("production")[-1]
    assert event["decision"] == {"passed": True, "forced": False}
    assert json.loads(registry.aliases_file.read_text())["history"][-1] == event
