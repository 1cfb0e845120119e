"""The first process inside a sandbox: confines itself, then runs the untrusted program.

Started by `safecoder.benchmarks.sandbox.executor` as a script (standard library only,
`python -I -S confine.py SPEC.json`), either inside fresh Linux namespaces created by
`unshare` (mount, network, PID, and a user namespace when not started as root) or, in
the weaker `process` isolation, directly. In namespace mode it is PID 1 of its PID
namespace, so when it exits the kernel kills every process the program left behind.

Steps in namespace mode, all before any untrusted byte runs:
1. make every mount private, bind the working folder onto itself (it stays writable)
   and bind the Python installation at a path the unprivileged user can traverse;
2. remount every other mount read-only (fail closed: a mount that cannot be made
   read-only aborts the run);
3. fork; the child sets the resource limits, drops privileges (to an unprivileged uid
   when started as real root, since root is exempt from RLIMIT_NPROC; otherwise it
   drops every capability of its user namespace) and executes the program.
The parent waits, reaps orphans, and exits with the program's status (128 + signal).
A setup failure is written to `status_fd`, a pipe from the host that is closed when the
program starts (so the program cannot forge one), and ends the run with status 121.

Not a general-purpose container: the program can still read what the unprivileged
user can read, and it shares the kernel. It does not run on non-Linux systems.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys

SETUP_FAILED = 121

_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_NOATIME = 1024
_MS_NODIRATIME = 2048
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MS_RELATIME = 1 << 21
_MS_STRICTATIME = 1 << 24
# Per-mount options that a remount must repeat: inside a user namespace the kernel
# refuses a remount that would clear one of them ("locked" flags).
_OPTION_FLAGS = {
    "ro": _MS_RDONLY, "nosuid": _MS_NOSUID, "nodev": _MS_NODEV, "noexec": _MS_NOEXEC,
    "noatime": _MS_NOATIME, "nodiratime": _MS_NODIRATIME, "relatime": _MS_RELATIME,
    "strictatime": _MS_STRICTATIME,
}
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAPBSET_DROP = 24
_CAP_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    pass


def _mount(source: str | None, target: str, flags: int) -> None:
    result = _libc.mount(source.encode() if source else None, target.encode(), None,
                         ctypes.c_ulong(flags), None)
    if result != 0:
        errno = ctypes.get_errno()
        raise SetupError(f"mount {target!r} (flags {flags:#x}) failed: {os.strerror(errno)}")


def _mount_points() -> list[tuple[str, set[str]]]:
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            # mountinfo escapes blanks and backslashes as octal (\040).
            point = fields[4].encode("latin-1").decode("unicode_escape")
            points.append((point, set(fields[5].split(","))))
    return points


def confine_file_system(workdir: str, python_source: str, python_mount: str) -> None:
    _mount(None, "/", _MS_REC | _MS_PRIVATE)
    _mount(workdir, workdir, _MS_BIND | _MS_REC)
    if python_source and python_mount:
        _mount(python_source, python_mount, _MS_BIND | _MS_REC)
    for point, options in _mount_points():
        if point == workdir or (point.startswith(workdir + "/")):
            continue
        flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY
        for option in options:
            flags |= _OPTION_FLAGS.get(option, 0)
        try:
            _mount(None, point, flags)
        except SetupError:
            if not os.path.exists(point):
                continue  # hidden by a mount made above it; nothing reachable to protect
            raise


def set_limits(limits: dict) -> None:
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_privileges(uid: int | None, gid: int | None) -> None:
    if uid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise SetupError("could not drop to the sandbox user")
    else:
        # Root of a user namespace: give up every capability (bounding set first, so an
        # exec cannot grant them back) and forbid gaining privileges again.
        for capability in range(64):
            if _libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                break
        header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
        data = (ctypes.c_uint32 * 6)()
        if _libc.capset(header, data) != 0:
            raise SetupError(f"capset failed: {os.strerror(ctypes.get_errno())}")
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SetupError("prctl(PR_SET_NO_NEW_PRIVS) failed")


def _report_setup_failure(spec: dict, error: BaseException) -> None:
    # A pipe from the host, closed on exec: the program can never write to it.
    os.write(spec["status_fd"], f"{type(error).__name__}: {error}".encode()[:4000])


def run(spec: dict) -> int:
    namespaced = spec["isolation"] == "namespace"
    os.set_inheritable(spec["status_fd"], False)
    if namespaced:
        try:
            confine_file_system(spec["workdir"], spec.get("python_source", ""), spec.get("python_mount", ""))
        except SetupError as exc:
            _report_setup_failure(spec, exc)
            return SETUP_FAILED
    child = os.fork()
    if child == 0:
        try:
            os.chdir(spec["workdir"])
            if spec.get("drop_uid") is not None or namespaced:
                drop_privileges(spec.get("drop_uid"), spec.get("drop_gid"))
            set_limits(spec["limits"])
            os.execve(spec["argv"][0], spec["argv"], spec["env"])
        except BaseException as exc:  # the child must never return into this code
            _report_setup_failure(spec, exc)
            os._exit(SETUP_FAILED)
    status = 0
    while True:
        try:
            pid, wait_status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == child:
            status = os.waitstatus_to_exitcode(wait_status)
            break
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as spec_file:
        sys.exit(run(json.load(spec_file)))
