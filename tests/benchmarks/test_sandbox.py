"""The sandbox holds against hostile programs; each is contained and counted as a failure.

These run real processes in real Linux namespaces, through both back ends (bubblewrap
and the built-in `unshare` one), as the benchmarks do. The adversarial suite that probes
what a program can *see* (home, keys, secrets, other processes, the checkout, floods) is
in `test_sandbox_view.py`.
"""

import socket
import sys
import threading
import uuid
from pathlib import Path

import pytest

from safecoder.benchmarks.sandbox import (
    ALLOW_ENV,
    CodeExecutionNotAllowedError,
    Job,
    Sandbox,
    SandboxLimits,
    namespaces_available,
)
from safecoder.benchmarks.sandbox.executor import backend_available

REPO = Path(__file__).resolve().parents[2]


BACKENDS = ["bwrap", "unshare"]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request):
    assert namespaces_available(), "namespace isolation must work on this machine"
    if request.param == "bwrap" and not backend_available("bwrap"):
        pytest.skip("bubblewrap is not installed (scripts/install.sh installs it)")
    return request.param


@pytest.fixture(scope="module")
def sandbox(backend):
    return Sandbox(allow_execution=True, isolation="namespace", backend=backend,
                   limits=SandboxLimits(timeout_s=8, cpu_seconds=4, memory_mb=512, processes=16, file_size_mb=8))


@pytest.fixture(scope="module")
def impatient_sandbox(backend):
    """Short limits, for the programs that would run forever."""
    return Sandbox(allow_execution=True, isolation="namespace", backend=backend,
                   limits=SandboxLimits(timeout_s=3, cpu_seconds=2, memory_mb=512, processes=16))


@pytest.fixture(scope="module")
def weak_sandbox():
    return Sandbox(allow_execution=True, isolation="process", limits=SandboxLimits(timeout_s=3, cpu_seconds=2))


def test_nothing_runs_without_the_explicit_opt_in(monkeypatch):
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    with pytest.raises(CodeExecutionNotAllowedError, match="--allow-code-execution"):
        Sandbox()
    monkeypatch.setenv(ALLOW_ENV, "1")
    assert Sandbox(isolation="process").isolation == "process"


def test_a_correct_program_passes_in_a_temporary_folder_that_is_removed(backend, tmp_path):
    sandbox = Sandbox(allow_execution=True, isolation="namespace", backend=backend, base_dir=tmp_path)
    result = sandbox.run(Job({"main.py": "import os\nopen('out.txt', 'w').write('x')\nprint(os.getcwd())\n"
                                         "print(open('data/given.txt').read())\n",
                              "data/given.txt": "given"}))
    assert result.passed and result.status == "passed" and result.isolation == "namespace"
    assert result.stdout.split() == ["/tmp/work", "given"]
    assert sandbox.backend == backend and sandbox.describe()["backend"] == backend
    assert list(tmp_path.iterdir()) == [], "the host-side folder of the run was not removed"


def test_a_failing_assertion_fails(sandbox):
    result = sandbox.run(Job({"main.py": "assert 1 + 1 == 3, 'arithmetic'\n"}))
    assert not result.passed and result.status == "failed" and "arithmetic" in result.stderr


def test_writes_outside_the_folder_fail_and_leave_nothing(sandbox, tmp_path):
    host_targets = [tmp_path / f"escaped-{uuid.uuid4().hex}", REPO / f".escaped-{uuid.uuid4().hex}"]
    for target in host_targets:  # host folders do not exist inside
        result = sandbox.run(Job({"main.py": f"open({str(target)!r}, 'w').write('pwned')\n"}))
        assert not result.passed and "No such file or directory" in result.stderr, target
        assert not target.exists()
    for target in ["/usr/escaped", "/etc/escaped", "/escaped", "/python/escaped", "/.safecoder/escaped"]:
        result = sandbox.run(Job({"main.py": f"open({target!r}, 'w').write('pwned')\n"}))
        assert not result.passed, target
        refusals = ("Read-only file system", "Permission denied", "No such file or directory")
        assert any(refusal in result.stderr for refusal in refusals), result.stderr
    # Only the working folder is writable: /tmp itself is read-only, and the host's /tmp is not there.
    name = f"escaped-{uuid.uuid4().hex}"
    result = sandbox.run(Job({"main.py": "import subprocess\n"
                                         f"subprocess.run(['touch', '/tmp/{name}'], check=True)\n"}))
    assert not result.passed and not (Path("/tmp") / name).exists()
    assert sandbox.run(Job({"main.py": f"open('/tmp/work/{name}', 'w').write('x')\n"})).passed


def test_no_network_even_to_a_server_on_this_machine(sandbox):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(5)
    port = server.getsockname()[1]
    accepted = []

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    listener = threading.Thread(target=accept)
    listener.start()
    program = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3).sendall(b'leak')\n"
    try:
        result = sandbox.run(Job({"main.py": program}))
    finally:
        listener.join()
        server.close()
    assert not result.passed
    assert not accepted, "the sandboxed program reached a server on the host"
    assert "unreachable" in result.stderr or "refused" in result.stderr


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_fork_bomb_is_contained_and_every_process_it_started_dies(impatient_sandbox):
    marker = f"safecoder-fork-bomb-{uuid.uuid4().hex}"
    program = (
        "import os, sys\n"
        "while True:\n"
        "    try:\n"
        "        if os.fork() == 0:\n"
        f"            os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])\n"
        "    except OSError:\n"
        "        pass\n"
    )
    result = impatient_sandbox.run(Job({"main.py": program}))
    assert not result.passed and result.status in ("failed", "timeout")
    assert _processes_with(marker) == []


def test_a_fork_bomb_hits_the_process_limit(sandbox):
    program = (
        "import os, time\n"
        "children = 0\n"
        "try:\n"
        "    for _ in range(200):\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(60)\n"
        "            os._exit(0)\n"
        "        children += 1\n"
        "except OSError:\n"
        "    print('limited at', children)\n"
        "    raise\n"
    )
    result = sandbox.run(Job({"main.py": program}))
    assert not result.passed and result.stdout.startswith("limited at")
    assert int(result.stdout.split()[-1]) < 16


def test_endless_loops_are_stopped(impatient_sandbox):
    spinning = impatient_sandbox.run(Job({"main.py": "while True:\n    pass\n"}))
    sleeping = impatient_sandbox.run(Job({"main.py": "import time\nwhile True:\n    time.sleep(1)\n"}))
    assert not spinning.passed and spinning.status in ("timeout", "failed")
    assert sleeping.status == "timeout" and sleeping.returncode is None


def test_memory_and_file_size_are_limited(sandbox):
    memory = sandbox.run(Job({"main.py": "block = bytearray(2 * 1024 ** 3)\n"}))
    assert not memory.passed and "MemoryError" in memory.stderr
    big_file = sandbox.run(Job({"main.py": "open('big', 'wb').write(b'0' * (64 * 1024 * 1024))\n"}))
    assert not big_file.passed and "File too large" in big_file.stderr


def test_programs_get_their_stdin_and_run_concurrently(sandbox):
    jobs = [Job({"main.py": "import sys\nprint(int(sys.stdin.read()) * 2)\n"}, stdin=str(i)) for i in range(6)]
    results = sandbox.run_many(jobs, workers=3)
    assert [r.stdout.strip() for r in results] == [str(2 * i) for i in range(6)]


def test_process_isolation_refuses_sockets_and_stops_loops(weak_sandbox):
    """The fallback's claims (docs/benchmarks.md): Python sockets refused, loops stopped."""
    result = weak_sandbox.run(Job({"main.py": "import socket\nsocket.socket()\n"}))
    assert not result.passed and "network access is disabled" in result.stderr
    result = weak_sandbox.run(Job({"main.py": "import socket\nsocket.create_connection(('127.0.0.1', 9))\n"}))
    assert not result.passed and "network access is disabled" in result.stderr
    loop = weak_sandbox.run(Job({"main.py": "import time\nwhile True:\n    time.sleep(1)\n"}))
    assert loop.status == "timeout"
    assert weak_sandbox.run(Job({"main.py": "print(sum(range(10)))\n"})).stdout.strip() == "45"


def test_job_files_cannot_point_outside_the_folder(sandbox):
    from safecoder.benchmarks.sandbox import SandboxError

    with pytest.raises(SandboxError, match="outside"):
        sandbox.run(Job({"main.py": "pass", "../escape.py": "x"}))


def test_the_interpreter_inside_is_the_one_running_the_tests(sandbox):
    result = sandbox.run(Job({"main.py": "import sys\nprint(tuple(sys.version_info[:2]))\n"}))
    assert result.stdout.strip() == str(tuple(sys.version_info[:2]))
