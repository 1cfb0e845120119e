"""Run an untrusted Python program in a sandbox and say whether it passed.

Input: the files of a program (`{"main.py": ..., "program.c": ...}`), optional stdin,
limits. Output: an `ExecutionResult` (passed = exit status 0 within the limits).

Two isolation levels; `auto` picks the strongest this machine offers:
- `namespace` (Linux with `unshare`): its own mount, network and PID namespaces (and a
  user namespace when not root). The program sees only a loopback device that is down
  (no network), every mount except its temporary working folder is read-only (nothing
  is written outside it), it runs as an unprivileged user or without capabilities,
  under rlimits on CPU time, address space, processes, file size and open files, and
  every process it starts dies with it. See `confine.py` for the steps.
- `process` (fallback): its own process group under the same rlimits, a wall-clock
  timeout, the temporary folder as working directory, and Python's `socket` module
  replaced by one that refuses to create sockets. What this does NOT stop: native code
  (ctypes, `_socket`, a subprocess such as `curl`) reaching the network, writes outside
  the folder wherever the user may write, and fork bombs when running as root (root is
  exempt from RLIMIT_NPROC). Use it only where namespaces are unavailable.

Nothing runs unless code execution was explicitly allowed (`permission`).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from safecoder.benchmarks.sandbox.permission import require_code_execution_allowed

from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)

Isolation = Literal["auto", "namespace", "process"]
Status = Literal["passed", "failed", "timeout"]

CONFINE_SCRIPT = Path(__file__).with_name("confine.py")
SETUP_FAILED = 121
# Synthetic ids for the unprivileged sandbox users when running as root: far above any
# real or subordinate id range, one per concurrent run so that one run's fork bomb does
# not eat another run's process budget.
SANDBOX_ID_BASE = 2_100_000_000
_MAX_CONCURRENT = 256
# In `process` isolation: refuse socket creation inside the program's interpreter.
_SOCKET_GUARD = """
import runpy, socket, sys
class _NoNetwork(OSError):
    pass
def _refuse(*args, **kwargs):
    raise _NoNetwork("network access is disabled in the SafeCoder sandbox")
class _RefusingSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        _refuse()
socket.socket = _RefusingSocket
socket.create_connection = _refuse
socket.socketpair = _refuse
socket.fromfd = _refuse
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


class SandboxError(SafeCoderError):
    """The sandbox itself could not be set up (not the program's fault)."""


@dataclass(frozen=True)
class SandboxLimits:
    timeout_s: float = 10.0
    cpu_seconds: int = 10
    memory_mb: int = 2048
    processes: int = 32
    file_size_mb: int = 32
    open_files: int = 256
    output_bytes: int = 64_000

    def __post_init__(self) -> None:
        for name in ("timeout_s", "cpu_seconds", "memory_mb", "processes", "file_size_mb", "open_files",
                     "output_bytes"):
            if getattr(self, name) <= 0:
                raise SandboxError(f"sandbox limit {name} must be positive, got {getattr(self, name)}")

    def for_confine(self) -> dict:
        return {
            "cpu_seconds": self.cpu_seconds,
            "memory_bytes": self.memory_mb * 1024 * 1024,
            "processes": self.processes,
            "file_size_bytes": self.file_size_mb * 1024 * 1024,
            "open_files": self.open_files,
        }


@dataclass(frozen=True)
class ExecutionResult:
    status: Status
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    isolation: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Job:
    """One program to run: its files (name -> text), the file to run, and its stdin."""

    files: dict[str, str]
    main: str = "main.py"
    stdin: str = ""
    args: tuple[str, ...] = field(default_factory=tuple)


@functools.cache
def namespaces_available() -> bool:
    """Whether `namespace` isolation works here (probed once per process)."""
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = Sandbox(allow_execution=True, isolation="namespace", limits=SandboxLimits(timeout_s=30))
    try:
        return probe.run(Job({"main.py": "print('ok')"})).stdout.strip() == "ok"
    except SandboxError as exc:
        logger.info("namespace isolation is unavailable here: %s", exc)
        return False


class Sandbox:
    """Runs jobs; `run` one at a time, `run_many` on a pool of workers."""

    def __init__(self, allow_execution: bool = False, isolation: Isolation = "auto",
                 limits: SandboxLimits | None = None, base_dir: str | os.PathLike | None = None):
        require_code_execution_allowed(allow_execution, "running generated code")
        if isolation not in ("auto", "namespace", "process"):
            raise SandboxError(f"unknown isolation {isolation!r}: expected auto, namespace or process")
        if isolation == "auto":
            isolation = "namespace" if namespaces_available() else "process"
            if isolation == "process":
                logger.warning("Linux namespaces are unavailable: generated code runs with `process` isolation "
                               "(no file-system or network confinement beyond Python sockets; see docs)")
        self.isolation = isolation
        self.limits = limits or SandboxLimits()
        self.base_dir = Path(base_dir) if base_dir else Path(tempfile.gettempdir())
        self._ids: queue.SimpleQueue[int] = queue.SimpleQueue()
        for slot in range(_MAX_CONCURRENT):
            self._ids.put(SANDBOX_ID_BASE + slot)

    def describe(self) -> dict:
        return {"isolation": self.isolation, "limits": asdict(self.limits)}

    def run_many(self, jobs: Sequence[Job], workers: int = 2,
                 on_done: Callable[[int, ExecutionResult], None] | None = None) -> list[ExecutionResult]:
        """Run jobs concurrently; results in job order. `on_done(index, result)` as each ends."""
        results: list[ExecutionResult | None] = [None] * len(jobs)

        def one(index: int) -> None:
            results[index] = self.run(jobs[index])
            if on_done is not None:
                on_done(index, results[index])

        with ThreadPoolExecutor(max_workers=max(1, min(workers, _MAX_CONCURRENT))) as pool:
            for future in [pool.submit(one, i) for i in range(len(jobs))]:
                future.result()
        return [r for r in results if r is not None]

    def run(self, job: Job) -> ExecutionResult:
        if job.main not in job.files:
            raise SandboxError(f"the job's main file {job.main!r} is not among its files {sorted(job.files)}")
        sandbox_id = self._ids.get()
        root = Path(tempfile.mkdtemp(prefix="safecoder-sandbox-", dir=self.base_dir))
        try:
            return self._run_in(root, job, sandbox_id)
        finally:
            shutil.rmtree(root, ignore_errors=True)
            self._ids.put(sandbox_id)

    # ----- internals -----------------------------------------------------------------
    def _run_in(self, root: Path, job: Job, sandbox_id: int) -> ExecutionResult:
        root.chmod(0o755)
        workdir = root / "work"
        workdir.mkdir(mode=0o700)
        for name, text in job.files.items():
            target = (workdir / name).resolve()
            if workdir.resolve() not in target.parents:
                raise SandboxError(f"job file {name!r} would land outside the sandbox folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        as_root = os.geteuid() == 0
        drop_uid = sandbox_id if as_root else None
        if as_root and (self.isolation == "namespace"):
            for path in [workdir, *workdir.rglob("*")]:
                os.chown(path, sandbox_id, sandbox_id, follow_symlinks=False)
        python, python_source, python_mount, library_dir = self._python_inside(root)
        if self.isolation == "namespace":
            argv = [python, "-I", job.main, *job.args]
        else:
            argv = [python, "-I", "-c", _SOCKET_GUARD, job.main, *job.args]
            drop_uid = None
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(workdir), "TMPDIR": str(workdir),
               "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
        if library_dir:
            env["LD_LIBRARY_PATH"] = library_dir
        status_read, status_write = os.pipe()
        spec = {
            "isolation": self.isolation, "workdir": str(workdir), "argv": argv, "env": env,
            "limits": self.limits.for_confine(), "drop_uid": drop_uid,
            "drop_gid": sandbox_id if drop_uid is not None else None,
            "python_source": python_source, "python_mount": python_mount, "status_fd": status_write,
        }
        spec_path = root / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        command = [sys.executable, "-I", "-S", str(CONFINE_SCRIPT), str(spec_path)]
        if self.isolation == "namespace":
            command = [*self._unshare_prefix(as_root), *command]
        started = time.monotonic()
        try:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, pass_fds=(status_write,), start_new_session=True)
        except OSError as exc:
            os.close(status_read)
            os.close(status_write)
            raise SandboxError(f"could not start the sandbox ({command[0]}): {exc}") from None
        os.close(status_write)
        timed_out = False
        try:
            stdout, stderr = process.communicate(job.stdin.encode(), timeout=self.limits.timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(process.pid)
            stdout, stderr = process.communicate()
        finally:
            with os.fdopen(status_read, "rb") as status_pipe:
                setup_error = status_pipe.read().decode("utf-8", "replace")
        duration = time.monotonic() - started
        if setup_error:
            raise SandboxError(f"the sandbox could not be set up ({self.isolation} isolation): {setup_error}")
        if self.isolation == "namespace" and process.returncode == 1 and stderr.startswith(b"unshare:"):
            raise SandboxError(f"unshare failed: {stderr.decode('utf-8', 'replace').strip()}")
        status: Status = "timeout" if timed_out else "passed" if process.returncode == 0 else "failed"
        limit = self.limits.output_bytes
        return ExecutionResult(
            status=status,
            returncode=None if timed_out else process.returncode,
            stdout=stdout[:limit].decode("utf-8", "replace"),
            stderr=stderr[-limit:].decode("utf-8", "replace"),
            duration_s=round(duration, 4),
            isolation=self.isolation,
        )

    def _python_inside(self, root: Path) -> tuple[str, str, str, str]:
        """(interpreter path the program runs, folder to bind, mount point, library folder).

        The interpreter may live where the sandbox user cannot reach it (a Python under
        /root): namespace isolation binds its installation under the sandbox folder.
        """
        executable = Path(os.path.realpath(sys.executable))
        prefix = Path(os.path.realpath(sys.base_prefix))
        if self.isolation != "namespace" or prefix not in executable.parents:
            return str(executable), "", "", ""
        mount_point = root / "python"
        mount_point.mkdir()
        library = mount_point / "lib"
        return (str(mount_point / executable.relative_to(prefix)), str(prefix), str(mount_point),
                str(library) if (prefix / "lib").is_dir() else "")

    @staticmethod
    def _unshare_prefix(as_root: bool) -> list[str]:
        prefix = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child=SIGKILL", "--mount-proc"]
        if not as_root:
            prefix += ["--user", "--map-root-user"]
        return prefix


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
