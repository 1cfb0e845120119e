"""The distribution: one `safecoder.*` namespace from the checkout and from a built wheel."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_mapped_folders_import_from_the_checkout():
    import safecoder.benchmarks
    import safecoder.collector
    import safecoder.server
    import safecoder.trainer

    assert Path(safecoder.server.__file__).parent == REPO / "server"
    assert Path(safecoder.trainer.__file__).parent == REPO / "trainer"
    assert Path(safecoder.collector.__file__).parent == REPO / "collector"
    assert Path(safecoder.benchmarks.__file__).parent == REPO / "benchmarks"


@pytest.mark.slow
def test_a_built_wheel_holds_the_same_namespace(tmp_path):
    # setuptools builds inside the source folder (build/, *.egg-info): build from a copy,
    # so that the test leaves the checkout as it found it.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".cache", "node_modules", "build", "dist", "*.egg-info", ".pytest_cache", "runs"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(source)], check=True, timeout=600, capture_output=True)
    wheel = next(tmp_path.glob("safecoder-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("safecoder/__init__.py", "safecoder/server/__init__.py", "safecoder/trainer/__init__.py",
                   "safecoder/collector/__init__.py", "safecoder/benchmarks/__init__.py",
                   "safecoder/cwe_catalog.yaml"):
        assert module in names, module
    assert not any(n.startswith(("server/", "trainer/", "tests/")) for n in names)
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    probe = "import safecoder.server, safecoder.cwe as c; print(safecoder.server.__file__); print(c.get(89).id)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split()
    assert lines[0].startswith(str(unpacked)) and lines[1] == "CWE-089"


def test_cli_lists_its_commands_and_reports_user_errors_without_traceback(registry_root):
    done = subprocess.run([sys.executable, "-m", "safecoder", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for command in ("data", "model", "registry"):
        assert command in done.stdout
    failed = subprocess.run([sys.executable, "-m", "safecoder", "registry", "show", "v0042"],
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 2
    assert "no version v0042" in failed.stderr and "Traceback" not in failed.stderr


def test_registry_cli_round_trip(tmp_path, registry_root):
    weights = tmp_path / "w"
    weights.mkdir()
    (weights / "config.json").write_text('{"model_type": "llama"}')
    data_file = tmp_path / "pairs.jsonl"
    data_file.write_text("{}\n")

    def cli(*args):
        done = subprocess.run([sys.executable, "-m", "safecoder", "registry", *args], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "registered v0001 (full)" in cli("register", str(weights), "--data", f"pairs={data_file}")
    assert "registered v0002 (embedded)" in cli("register", "default")
    # `production` moves through the promotion gate; forced, it runs no benchmark.
    cli("promote", "v0002", "--force", "--reason", "first production version", "--no-progress")
    cli("promote", "v0001", "--force", "--reason", "manual", "--no-progress")
    assert "production -> v0002 (rolled back)" in cli("rollback")
    listing = cli("list", "--format", "json")
    assert '"version": "v0001"' in listing and '"candidate"' in listing
    assert '"pairs"' in cli("show", "v0001")
