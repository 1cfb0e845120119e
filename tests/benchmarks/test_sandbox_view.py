"""What a sandboxed program can see: nothing of the user, the checkout or the host.

Each hostile program runs through both back ends (bubblewrap and the built-in
`unshare` one), in real namespaces; an escape is a secret, a path or a process of the
host showing up in the program's output, or a file of the program showing up on the
host. These are the `docs/reliability.md` sandbox figures.
"""

import os
import resource
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from safecoder.benchmarks.sandbox import Job, Sandbox, SandboxLimits, namespaces_available
from safecoder.benchmarks.sandbox.executor import backend_available

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=["bwrap", "unshare"])
def backend(request):
    assert namespaces_available(), "namespace isolation must work on this machine"
    if request.param == "bwrap" and not backend_available("bwrap"):
        pytest.skip("bubblewrap is not installed (scripts/install.sh installs it)")
    return request.param


def _sandbox(backend, tmp_path=None, **limits):
    defaults = dict(timeout_s=8, cpu_seconds=4, memory_mb=512, processes=16, file_size_mb=8)
    return Sandbox(allow_execution=True, isolation="namespace", backend=backend, base_dir=tmp_path,
                   limits=SandboxLimits(**{**defaults, **limits}))


# Prints every file the program can reach whose path or content could betray the host.
_SNOOP = """
import glob, os, sys
targets = sys.argv[1:]
for pattern in targets + ['/root/**', '/home/**', '/work/**', '/var/**', '/run/**', '/mnt/**', '/srv/**',
                          '/opt/**', '/sys/**', os.path.expanduser('~/**')]:
    for path in glob.glob(pattern, recursive=True)[:2000]:
        if not os.path.lexists(path):
            continue  # glob's '**' names the folder itself even when it does not exist
        try:
            print('PATH', path, open(path, errors='replace').read()[:200] if os.path.isfile(path) else '')
        except OSError as exc:
            print('DENIED', path, exc.__class__.__name__)
"""


def test_the_users_home_keys_and_registry_are_invisible(backend, tmp_path, monkeypatch):
    secret = f"PRIVATE-KEY-{uuid.uuid4().hex}"
    home = tmp_path / "home"
    for relative in (".ssh/id_ed25519", ".ssh/config", "keys/deploy.pem", ".safecoder/registry/m/v1/manifest.json",
                     ".safecoder/credentials"):
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        (home / relative).write_text(secret)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SAFECODER_HOME", str(home / ".safecoder"))
    result = _sandbox(backend).run(Job({"main.py": _SNOOP}, args=(f"{home}/**", "/root/.ssh/*")))
    assert result.passed, result.stderr
    assert secret not in result.stdout + result.stderr
    assert str(home) not in result.stdout, "a path of the user's home is visible inside"
    assert "PATH /root" not in result.stdout and "PATH /home" not in result.stdout


def test_environment_secrets_do_not_reach_the_program(backend, monkeypatch):
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("SECRET", secret)
    monkeypatch.setenv("SAFECODER_API_KEY", secret)
    program = ("import glob, os\n"
               "print(dict(os.environ))\n"
               "for path in glob.glob('/proc/*/environ'):\n"
               "    try:\n"
               "        print(path, open(path, 'rb').read())\n"
               "    except OSError as exc:\n"
               "        print(path, exc)\n")
    result = _sandbox(backend).run(Job({"main.py": program}))
    assert result.passed, result.stderr
    assert secret not in result.stdout and "SECRET" not in result.stdout
    assert "/proc/1/environ" in result.stdout  # the probe did look


def test_other_processes_are_invisible_in_proc(backend):
    marker = f"safecoder-host-process-{uuid.uuid4().hex}"
    host = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    try:
        program = ("import os\n"
                   "pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
                   "print('PIDS', len(pids))\n"
                   "for pid in pids:\n"
                   "    try:\n"
                   "        print(pid, open(f'/proc/{pid}/cmdline', 'rb').read())\n"
                   "    except OSError:\n"
                   "        pass\n"
                   f"os.kill({host.pid}, 9)\n")
        result = _sandbox(backend).run(Job({"main.py": program}))
    finally:
        alive = host.poll() is None
        host.kill()
        host.wait()
    assert marker not in result.stdout
    assert int(result.stdout.split("PIDS ")[1].split()[0]) <= 4, result.stdout
    assert alive, "the sandboxed program killed a host process"
    assert not result.passed and "ProcessLookupError" in result.stderr


def test_the_checkout_and_the_hosts_files_are_invisible(backend):
    line = (REPO / "pyproject.toml").read_text().splitlines()[0]
    result = _sandbox(backend).run(Job({"main.py": _SNOOP}, args=(f"{REPO}/**", "/etc/shadow", "/tmp/*")))
    assert result.passed, result.stderr
    assert f"PATH {REPO}" not in result.stdout and f"DENIED {REPO}" not in result.stdout
    assert line not in result.stdout
    # The whole view outside the system folders: /etc's few files, /dev, /tmp/work, the helper.
    program = ("import os\n"
               "for top in sorted(os.listdir('/')):\n"
               "    if top in ('usr', 'proc', 'python', 'dev') or os.path.islink('/' + top):\n"
               "        continue\n"
               "    for folder, dirs, files in os.walk('/' + top):\n"
               "        for name in files:\n"
               "            print(os.path.join(folder, name))\n")
    seen = _sandbox(backend).run(Job({"main.py": program})).stdout.split()
    etc = {path for path in seen if path.startswith("/etc/")}
    assert {"/etc/passwd", "/etc/group", "/etc/hosts"} <= etc
    assert not any(name in path for path in etc for name in ("shadow", "ssh", "ssl/private", "sudoers", "gitconfig"))
    others = sorted(p for p in seen if not p.startswith(("/etc/", "/tmp/work/", "/.safecoder/")))
    assert others == [], others
    passwd = _sandbox(backend).run(Job({"main.py": "print(open('/etc/passwd').read())"})).stdout
    assert {line.split(":")[0] for line in passwd.split()} == {"root", "nobody", "sandbox"}


def test_a_stdout_flood_is_cut_and_does_not_fill_the_hosts_memory(backend):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    program = "import sys\nblock = 'x' * 65536\nwhile True:\n    sys.stdout.write(block)\n"
    result = _sandbox(backend, timeout_s=4, output_bytes=10_000).run(Job({"main.py": program}))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.status == "timeout" and len(result.stdout) == 10_000
    assert grown_mb < 64, f"the host grew by {grown_mb:.0f} MB reading the flood"


def test_very_many_small_files_stay_inside_and_are_bounded(backend, tmp_path):
    program = ("import os\n"
               "count = 0\n"
               "try:\n"
               "    for count in range(1, 1_000_001):\n"
               "        open(f'f{count}', 'w').close()\n"
               "finally:\n"
               "    print('created', count)\n")
    result = _sandbox(backend, tmp_path, timeout_s=6, files=5000).run(Job({"main.py": program}))
    created = int(result.stdout.split()[-1]) if result.stdout else 0
    assert not result.passed, "a million files were accepted"
    if backend == "unshare":  # its tmpfs caps inodes; bubblewrap's only bytes (the timeout bounds it)
        assert created <= 5000 and "No space left on device" in result.stderr
    assert list(tmp_path.iterdir()) == [], "files of the program were left on the host"


def test_filling_the_disk_stops_at_the_cap_and_leaves_nothing(backend, tmp_path):
    program = ("import os\n"
               "written = 0\n"
               "try:\n"
               "    for index in range(1000):\n"
               "        with open(f'big{index}', 'wb') as handle:\n"
               "            for _ in range(4):\n"
               "                handle.write(b'0' * 1024 * 1024)\n"
               "                written += 1\n"
               "finally:\n"
               "    print('written_mb', written)\n")
    result = _sandbox(backend, tmp_path, disk_mb=16, file_size_mb=8).run(Job({"main.py": program}))
    assert not result.passed and "No space left on device" in result.stderr
    assert int(result.stdout.split()[-1]) <= 16
    assert list(tmp_path.iterdir()) == []


def test_memory_is_capped_for_every_process_of_the_tree(backend):
    """Without a delegated cgroup v2 (this machine) the cap is RLIMIT_AS per process."""
    program = ("import os\n"
               "children = []\n"
               "for _ in range(3):\n"
               "    pid = os.fork()\n"
               "    if pid == 0:\n"
               "        try:\n"
               "            block = bytearray(400 * 1024 * 1024)\n"
               "            os._exit(0)\n"
               "        except MemoryError:\n"
               "            os._exit(7)\n"
               "    children.append(pid)\n"
               "print([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children])\n")
    result = _sandbox(backend, memory_mb=256).run(Job({"main.py": program}))
    assert result.passed and result.stdout.strip() == "[7, 7, 7]", result.stdout + result.stderr


def test_new_user_namespaces_are_refused_under_bubblewrap(backend):
    if backend != "bwrap":
        pytest.skip("the unshare back end cannot forbid nested user namespaces (docs/reliability.md)")
    program = ("import ctypes, os\n"
               "libc = ctypes.CDLL(None, use_errno=True)\n"
               "if libc.unshare(0x10000000) != 0:\n"  # CLONE_NEWUSER
               "    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))\n")
    result = _sandbox(backend).run(Job({"main.py": program}))
    assert not result.passed and ("No space left" in result.stderr or "not permitted" in result.stderr), result.stderr


def test_compilers_and_interpreters_run_inside(backend):
    """The view keeps what the security tests need: gcc, node, go, java from /usr."""
    program = ("import shutil, subprocess\n"
               "open('hello.c', 'w').write('#include <stdio.h>\\nint main(void){puts(\"c-ok\");return 0;}\\n')\n"
               "subprocess.run(['gcc', '-o', 'hello', 'hello.c'], check=True)\n"
               "print(subprocess.run(['./hello'], capture_output=True, text=True, check=True).stdout)\n"
               "if shutil.which('node'):\n"
               "    print(subprocess.run(['node', '-e', 'console.log(\"node-ok\")'], capture_output=True,\n"
               "                         text=True, check=True).stdout)\n")
    tools = [tool for tool in ("gcc",) if subprocess.run(["which", tool], capture_output=True).returncode == 0]
    if not tools:
        pytest.skip("gcc is not installed here")
    # node reserves gigabytes of address space up front: it needs the default 2 GB cap.
    result = _sandbox(backend, timeout_s=30, cpu_seconds=20, memory_mb=2048).run(Job({"main.py": program}))
    assert result.passed, result.stderr
    assert "c-ok" in result.stdout
    if os.path.exists("/usr/bin/node"):
        assert "node-ok" in result.stdout
