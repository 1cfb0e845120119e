"""The sandbox's own processes: build the view, confine, then run the untrusted program.

Started by `safecoder.benchmarks.sandbox.executor` as a script (standard library only,
`python -I -S confine.py SPEC.json [inside]`). Which steps run depends on the back end
named in the spec; every step happens before any untrusted byte runs.

- `bwrap` (bubblewrap installed): on the host, this script joins the cgroup (if any),
  and when started as root enters a private mount namespace, binds the Python
  installation where an unprivileged user can reach it and drops to a synthetic
  unprivileged uid (root is exempt from RLIMIT_NPROC); then it executes `bwrap`, which
  builds the view of `view.py` in fresh user, mount, PID, network, IPC, UTS and cgroup
  namespaces, with `/tmp/work` a tmpfs of `disk_bytes` (bubblewrap cannot cap its inodes) and
  further user namespaces disabled, and runs this script again (`inside`) unprivileged.
- `unshare` (the fallback): started inside namespaces made by `unshare` (plus a user
  namespace when not root), it builds the same view itself: a tmpfs root, read-only
  binds, a fresh `/dev`, the namespace's `/proc`, the capped `/tmp/work`; then `pivot_root`
  into it and detaches the host's tree.
- `process` (weak fallback): no file-system view; limits only.

The inside step, common to all: copy the job into `/tmp/work` (a tmpfs of `disk_bytes`;
under `unshare` also at most `files` inodes), fork; the child drops every privilege (as real root: the
sandbox uid; otherwise: every capability, bounding set first, and no_new_privs), sets
the rlimits and executes the program. The parent, PID 1 or its child in the PID
namespace, reaps orphans and exits with the program's status (128 + signal), so every
process the program started dies with it. A setup failure is written to `status_fd`, a
pipe from the host closed on exec (the program cannot forge one); one NUL byte on it
means the program was started.

Not a general-purpose container: the program shares the kernel, and without a cgroup
the memory cap is per process (see `cgroup.py`). It does not run on non-Linux systems.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import resource
import shutil
import sys

SETUP_FAILED = 121
STARTED = b"\0"

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
_MNT_DETACH = 2
_CLONE_NEWNS = 0x00020000
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
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        raise SetupError(f"{what} failed: {os.strerror(ctypes.get_errno())}")


def _mount(source: str | None, target: str, flags: int, fstype: str | None = None, data: str | None = None) -> None:
    result = _libc.mount(source.encode() if source else None, target.encode(),
                         fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                         data.encode() if data else None)
    _check(result, f"mount {target!r} (flags {flags:#x})")


def _mount_points() -> list[tuple[str, set[str]]]:
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            # mountinfo escapes blanks and backslashes as octal (\040).
            point = fields[4].encode("latin-1").decode("unicode_escape")
            points.append((point, set(fields[5].split(","))))
    return points


def _remount_read_only(point: str, options: set[str]) -> None:
    flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY
    for option in options:
        flags |= _OPTION_FLAGS.get(option, 0)
    _mount(None, point, flags)


# ----- the workspace (every back end with a view) -------------------------------------
def mount_workspace(prefix: str, limits: dict) -> str:
    """Mount the capped tmpfs at PREFIX/tmp/work (the only writable folder) and return it."""
    workdir = prefix + "/tmp/work"
    os.makedirs(workdir, exist_ok=True)
    _mount("tmpfs", workdir, _MS_NOSUID | _MS_NODEV, "tmpfs",
           f"size={limits['disk_bytes']},nr_inodes={limits['files']},mode=0700")
    return workdir


def copy_job(job_dir: str, workdir: str, owner: int | None) -> None:
    shutil.copytree(job_dir, workdir, symlinks=False, dirs_exist_ok=True)
    os.chmod(workdir, 0o700)
    if owner is not None:
        for folder, dirs, files in os.walk(workdir):
            for name in [folder, *(os.path.join(folder, entry) for entry in dirs + files)]:
                os.lchown(name, owner, owner)


# ----- the unshare back end: build the view, pivot into it ----------------------------
def build_root(spec: dict) -> None:
    new_root = spec["new_root"]
    _mount(None, "/", _MS_REC | _MS_PRIVATE)
    _mount("tmpfs", new_root, _MS_NOSUID | _MS_NODEV, "tmpfs", "size=1m,nr_inodes=4096,mode=0755")
    for kind, source, target in spec["view"]:
        inside = new_root + target
        if kind == "symlink":
            os.makedirs(os.path.dirname(inside), exist_ok=True)
            os.symlink(source, inside)
            continue
        if os.path.isdir(source):
            os.makedirs(inside, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(inside), exist_ok=True)
            open(inside, "a").close()
        _mount(source, inside, _MS_BIND | _MS_REC)
    workdir = mount_workspace(new_root, spec["limits"])
    copy_job(spec["job_dir"], workdir, spec.get("drop_uid"))
    _build_dev(new_root + "/dev")
    os.makedirs(new_root + "/proc")
    _mount("/proc", new_root + "/proc", _MS_BIND | _MS_REC)  # the PID namespace's own /proc
    writable = [new_root + "/tmp/work", new_root + "/dev", new_root + "/proc"]
    for point, options in _mount_points():
        if point != new_root and not point.startswith(new_root + "/"):
            continue
        if any(point == place or point.startswith(place + "/") for place in writable):
            continue
        try:
            _remount_read_only(point, options)
        except SetupError:
            if not os.path.exists(point):
                continue  # hidden by a mount made above it; nothing reachable to protect
            raise
    os.chdir(new_root)
    number = _SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise SetupError(f"pivot_root: unsupported machine {platform.machine()!r}")
    _check(_libc.syscall(number, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", _MNT_DETACH), "detaching the host's file system")
    os.chdir("/")


def _build_dev(dev: str) -> None:
    os.makedirs(dev)
    _mount("tmpfs", dev, _MS_NOSUID, "tmpfs", "size=64k,nr_inodes=64,mode=0755")
    for name in _DEVICES:
        open(f"{dev}/{name}", "a").close()
        _mount(f"/dev/{name}", f"{dev}/{name}", _MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    os.mkdir(f"{dev}/shm", 0o1777)
    _remount_read_only(dev, {"nosuid"})


# ----- the bwrap back end: the host-side launcher --------------------------------------
def launch_bwrap(spec: dict) -> None:
    """Runs on the host: pre-binds and privilege drop when root, then `exec bwrap`."""
    if spec.get("pre_binds"):
        _check(_libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        _mount(None, "/", _MS_REC | _MS_PRIVATE)
        for source, target in spec["pre_binds"]:
            _mount(source, target, _MS_BIND | _MS_REC)
    if spec.get("launch_uid") is not None:
        os.setgroups([])
        os.setresgid(spec["launch_gid"], spec["launch_gid"], spec["launch_gid"])
        os.setresuid(spec["launch_uid"], spec["launch_uid"], spec["launch_uid"])
        if os.geteuid() != spec["launch_uid"]:
            raise SetupError("could not drop to the sandbox user")
    os.execve(spec["bwrap_argv"][0], spec["bwrap_argv"], spec["env"])


# ----- common ----------------------------------------------------------------------------
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
        if gid is None:
            raise ValueError(f"cannot drop privileges to uid {uid} without a gid")
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise SetupError("could not drop to the sandbox user")
    else:
        # Root or CAP_SYS_ADMIN of a user namespace: give up every capability (bounding
        # set first, so an exec cannot grant them back) and forbid gaining them again.
        for capability in range(64):
            if _libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                break
        header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
        data = (ctypes.c_uint32 * 6)()
        if _libc.capset(header, data) != 0:
            raise SetupError(f"capset failed: {os.strerror(ctypes.get_errno())}")
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SetupError("prctl(PR_SET_NO_NEW_PRIVS) failed")


def join_cgroup(path: str) -> None:
    if path:
        with open(os.path.join(path, "cgroup.procs"), "w", encoding="ascii") as procs:
            procs.write("0")


def _report_setup_failure(spec: dict, error: BaseException) -> None:
    # A pipe from the host, closed on exec: the program can never write to it.
    os.write(spec["status_fd"], f"{type(error).__name__}: {error}".encode()[:4000])


def run_program(spec: dict) -> int:
    child = os.fork()
    if child == 0:
        try:
            os.chdir(spec["workdir"])
            if spec["backend"] != "process":
                drop_privileges(spec.get("drop_uid"), spec.get("drop_gid"))
            set_limits(spec["limits"])
            os.write(spec["status_fd"], STARTED)
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


def main(spec: dict, stage: str) -> int:
    os.set_inheritable(spec["status_fd"], stage == "launch")
    try:
        if stage == "launch":
            join_cgroup(spec.get("cgroup", ""))
            launch_bwrap(spec)  # does not return
        if stage == "inside":  # in bwrap's namespaces; bwrap mounted the capped /tmp
            copy_job(spec["job_dir"], spec["workdir"], None)
        elif spec["backend"] == "unshare":
            join_cgroup(spec.get("cgroup", ""))
            build_root(spec)
    except (SetupError, OSError) as exc:
        _report_setup_failure(spec, exc)
        return SETUP_FAILED
    return run_program(spec)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as spec_file:
        sys.exit(main(json.load(spec_file), sys.argv[2] if len(sys.argv) > 2 else "start"))
