"""Run an untrusted program in a sandbox and say whether it passed.

Input: the files of a program (`{"main.py": ..., "program.c": ...}`), optional stdin,
limits. Output: an `ExecutionResult` (passed = exit status 0 within the limits).

Two isolation levels; `auto` picks the strongest this machine offers:
- `namespace` (Linux): its own user (when not root), mount, network, PID, IPC and UTS
  namespaces. The program sees only the minimal read-only view of `view.py` (`/usr`, a
  few `/etc` files, the Python installation, its own `/proc`) and its working folder
  `/tmp/work` on a tmpfs capped in bytes (`disk_mb`) and files (`files`): nothing of the
  user's home, the checkout, the registry or the host's `/tmp`, and an environment of
  PATH, HOME, TMPDIR and LANG only. No network (a loopback of its own at most). It runs
  as an unprivileged user or without capabilities, under rlimits on CPU time, address
  space, processes, file size and open files, with a memory cap over the whole process
  tree where cgroup v2 allows (`cgroup.py`), and every process it starts dies with it.
  Two back ends build the same view: `bwrap` (bubblewrap, used when installed) and
  `unshare` (util-linux plus `confine.py`, the fallback). See `confine.py` for the steps.
- `process` (fallback): its own process group under the same rlimits, a wall-clock
  timeout, the temporary folder as working directory, and Python's `socket` module
  replaced by one that refuses to create sockets. What this does NOT stop: native code
  (ctypes, `_socket`, a subprocess such as `curl`) reaching the network, reads and
  writes wherever the user may, and fork bombs when running as root (root is exempt
  from RLIMIT_NPROC). Use it only where namespaces are unavailable.

Output is read through `streams.collect`: the first `output_bytes` of stdout and the
last of stderr are kept, a flood is drained and dropped. Nothing runs unless code
execution was explicitly allowed (`permission`).
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

from safecoder.benchmarks.sandbox.cgroup import remove_cgroup, tree_cgroup
from safecoder.benchmarks.sandbox.permission import require_code_execution_allowed
from safecoder.benchmarks.sandbox.streams import collect
from safecoder.benchmarks.sandbox.view import (
    CONTROL_DIR,
    WORKDIR,
    Mount,
    python_inside,
    synthetic_etc,
    system_view,
)
from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)

Isolation = Literal["auto", "namespace", "process"]
Backend = Literal["auto", "bwrap", "unshare"]
Status = Literal["passed", "failed", "timeout"]

CONFINE_SCRIPT = Path(__file__).with_name("confine.py")
SETUP_FAILED = 121
STARTED = b"\0"  # what confine.py writes on the status pipe once the program starts (see there)
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
    # The working folder's tmpfs (namespace isolation): bytes (RAM) and inodes it may hold.
    disk_mb: int = 256
    files: int = 10_000

    def __post_init__(self) -> None:
        for name in ("timeout_s", "cpu_seconds", "memory_mb", "processes", "file_size_mb", "open_files",
                     "output_bytes", "disk_mb", "files"):
            if getattr(self, name) <= 0:
                raise SandboxError(f"sandbox limit {name} must be positive, got {getattr(self, name)}")

    def for_confine(self) -> dict:
        return {
            "cpu_seconds": self.cpu_seconds,
            "memory_bytes": self.memory_mb * 1024 * 1024,
            "processes": self.processes,
            "file_size_bytes": self.file_size_mb * 1024 * 1024,
            "open_files": self.open_files,
            "disk_bytes": self.disk_mb * 1024 * 1024,
            "files": self.files,
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
def backend_available(backend: Backend) -> bool:
    """Whether `namespace` isolation works here through `backend` (probed once per process)."""
    if sys.platform != "linux" or shutil.which("bwrap" if backend == "bwrap" else "unshare") is None:
        return False
    probe = Sandbox(allow_execution=True, isolation="namespace", backend=backend, limits=SandboxLimits(timeout_s=30))
    try:
        return probe.run(Job({"main.py": "print('ok')"})).stdout.strip() == "ok"
    except SandboxError as exc:
        logger.info("namespace isolation through %s is unavailable here: %s", backend, exc)
        return False


def namespaces_available() -> bool:
    """Whether `namespace` isolation works here (through bubblewrap or unshare)."""
    return backend_available("bwrap") or backend_available("unshare")


class Sandbox:
    """Runs jobs; `run` one at a time, `run_many` on a pool of workers."""

    def __init__(self, allow_execution: bool = False, isolation: Isolation = "auto",
                 limits: SandboxLimits | None = None, base_dir: str | os.PathLike | None = None,
                 backend: Backend = "auto"):
        require_code_execution_allowed(allow_execution, "running generated code")
        if isolation not in ("auto", "namespace", "process"):
            raise SandboxError(f"unknown isolation {isolation!r}: expected auto, namespace or process")
        if backend not in ("auto", "bwrap", "unshare"):
            raise SandboxError(f"unknown sandbox back end {backend!r}: expected auto, bwrap or unshare")
        if backend == "auto":
            backend = "bwrap" if isolation != "process" and backend_available("bwrap") else "unshare"
        self.backend = backend
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
        return {"isolation": self.isolation, "backend": self.backend if self.isolation == "namespace" else None,
                "limits": asdict(self.limits)}

    def run_many(self, jobs: Sequence[Job], workers: int = 2,
                 on_done: Callable[[int, ExecutionResult], None] | None = None) -> list[ExecutionResult]:
        """Run jobs concurrently; results in job order. `on_done(index, result)` as each ends."""
        results: list[ExecutionResult | None] = [None] * len(jobs)

        def one(index: int) -> None:
            result = results[index] = self.run(jobs[index])
            if on_done is not None:
                on_done(index, result)

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
        control = root / "control"
        job_dir = control / "job"
        job_dir.mkdir(parents=True, mode=0o755)
        for name, text in job.files.items():
            target = (job_dir / name).resolve()
            if job_dir.resolve() not in target.parents:
                raise SandboxError(f"job file {name!r} would land outside the sandbox folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        status_read, status_write = os.pipe()
        cgroup = None
        try:
            spec, command = self._plan(root, job, sandbox_id, status_write)
            if self.isolation == "namespace":
                cgroup = tree_cgroup(self.limits.memory_mb * 1024 * 1024, self.limits.processes)
                spec["cgroup"] = str(cgroup or "")
            (control / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
            return self._execute(command, job, status_read, status_write)
        finally:
            remove_cgroup(cgroup)

    def _plan(self, root: Path, job: Job, sandbox_id: int, status_fd: int) -> tuple[dict, list[str]]:
        """The spec `confine.py` reads, and the host command that starts the sandbox."""
        as_root = os.geteuid() == 0
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONHASHSEED": "0"}
        spec_path = root / "control" / "spec.json"
        limits = self.limits.for_confine()
        if self.isolation == "process":
            workdir = root / "control" / "job"
            python = os.path.realpath(sys.executable)
            env.update(HOME=str(workdir), TMPDIR=str(workdir))
            spec = {"backend": "process", "workdir": str(workdir), "env": env, "limits": limits,
                    "status_fd": status_fd, "argv": [python, "-I", "-c", _SOCKET_GUARD, job.main, *job.args]}
            return spec, [sys.executable, "-I", "-S", str(CONFINE_SCRIPT), str(spec_path)]
        python = python_inside()
        env.update(HOME=WORKDIR, TMPDIR=WORKDIR)
        if python.library_dir:
            env["LD_LIBRARY_PATH"] = python.library_dir
        program_uid = sandbox_id if as_root else (os.getuid() if self.backend == "bwrap" else 0)
        etc = root / "etc"
        etc.mkdir()
        for name, text in synthetic_etc(program_uid, program_uid if as_root else os.getgid()).items():
            (etc / name).write_text(text, encoding="utf-8")
            (etc / name).chmod(0o644)
        spec = {"backend": self.backend, "workdir": WORKDIR, "env": env, "limits": limits, "status_fd": status_fd,
                "argv": [python.executable, "-I", job.main, *job.args]}
        if self.backend == "unshare":
            spec.update(new_root=str(root / "new-root"), job_dir=str(root / "control" / "job"),
                        view=[m.to_list() for m in system_view(str(etc), python.host_prefix)],
                        drop_uid=sandbox_id if as_root else None, drop_gid=sandbox_id if as_root else None)
            (root / "new-root").mkdir()
            command = [*self._unshare_prefix(as_root), sys.executable, "-I", "-S", str(CONFINE_SCRIPT),
                       str(spec_path)]
            return spec, command
        # bwrap: the launcher (this script on the host) execs bwrap, which runs it again inside.
        # As root it first drops to the sandbox uid, which may not traverse the folders
        # above this run's folder or the Python installation: in a private mount namespace
        # the launcher shows the run's folder at /tmp and the installation inside it.
        shutil.copyfile(CONFINE_SCRIPT, root / "control" / "confine.py")
        seen = Path("/tmp") if as_root else root
        python_source = python.host_prefix
        if as_root:
            spec["pre_binds"] = [[str(root), str(seen)]]
            if python.host_prefix:
                python_source = str(seen / "python")
                (root / "python").mkdir()
                spec["pre_binds"].append([python.host_prefix, python_source])
            spec.update(launch_uid=sandbox_id, launch_gid=sandbox_id)
        view = system_view(str(etc), python_source)
        if as_root:
            view = [Mount(m.kind, str(seen / "etc" / Path(m.source).name), m.target)
                    if m.kind == "ro-bind" and Path(m.source).parent == etc else m for m in view]
        spec.update(job_dir=f"{CONTROL_DIR}/job", drop_uid=None,
                    bwrap_argv=self._bwrap_argv(view, seen, python.executable, limits["disk_bytes"]))
        command = [sys.executable, "-I", "-S", str(CONFINE_SCRIPT), str(spec_path), "launch"]
        return spec, command

    @staticmethod
    def _bwrap_argv(view: list, root: Path, python: str, disk_bytes: int) -> list[str]:
        argv = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--unshare-user", "--disable-userns",
                "--die-with-parent", "--new-session"]
        for mount in view:
            argv += ["--symlink" if mount.kind == "symlink" else "--ro-bind", mount.source, mount.target]
        argv += ["--ro-bind", str(root / "control"), CONTROL_DIR, "--proc", "/proc", "--dev", "/dev",
                 "--perms", "0700", "--size", str(disk_bytes), "--tmpfs", WORKDIR, "--remount-ro", "/", "--chdir", "/",
                 python, "-I", "-S", f"{CONTROL_DIR}/confine.py", f"{CONTROL_DIR}/spec.json", "inside"]
        return argv

    def _execute(self, command: list[str], job: Job, status_read: int, status_write: int) -> ExecutionResult:
        started = time.monotonic()
        try:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, pass_fds=(status_write,), start_new_session=True)
        except OSError as exc:
            os.close(status_read)
            os.close(status_write)
            raise SandboxError(f"could not start the sandbox ({command[0]}): {exc}") from None
        os.close(status_write)
        try:
            captured = collect(process, job.stdin.encode(), self.limits.timeout_s, self.limits.output_bytes,
                               on_timeout=lambda: _kill_group(process.pid))
        finally:
            with os.fdopen(status_read, "rb") as status_pipe:
                setup = status_pipe.read()
        duration = time.monotonic() - started
        where = f"{self.isolation} isolation, {self.backend}"
        if setup.lstrip(STARTED):
            raise SandboxError(f"the sandbox could not be set up ({where}): "
                               f"{setup.lstrip(STARTED).decode('utf-8', 'replace')}")
        if not setup and not captured.timed_out:
            raise SandboxError(f"the sandbox did not start ({where}, status {process.returncode}): "
                               f"{captured.stderr.decode('utf-8', 'replace').strip()[-2000:]}")
        status: Status = "timeout" if captured.timed_out else "passed" if process.returncode == 0 else "failed"
        return ExecutionResult(
            status=status,
            returncode=None if captured.timed_out else process.returncode,
            stdout=captured.stdout.decode("utf-8", "replace"),
            stderr=captured.stderr.decode("utf-8", "replace"),
            duration_s=round(duration, 4),
            isolation=self.isolation,
        )

    @staticmethod
    def _unshare_prefix(as_root: bool) -> list[str]:
        prefix = ["unshare", "--mount", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child=SIGKILL",
                  "--mount-proc"]
        if not as_root:
            prefix += ["--user", "--map-root-user"]
        return prefix


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
