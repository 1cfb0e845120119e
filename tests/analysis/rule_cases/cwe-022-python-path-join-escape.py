import os
from pathlib import Path

BASE_DIR = "/srv/files"


def read_user_file(filename):
    path = os.path.join(BASE_DIR, filename)
    # ruleid: cwe-022-python-path-join-escape
    with open(path) as handle:
        return handle.read()


def read_from(base_dir: str, name: str) -> bytes:
    # ruleid: cwe-022-python-path-join-escape
    return (Path(base_dir) / name).read_bytes()


def delete_upload(name):
    # ruleid: cwe-022-python-path-join-escape
    os.remove(os.path.join("/uploads", name))


def read_user_file_checked(filename):
    base = os.path.realpath(BASE_DIR)
    path = os.path.realpath(os.path.join(base, filename))
    if not path.startswith(base + os.sep):
        raise PermissionError(filename)
    # ok: cwe-022-python-path-join-escape
    with open(path) as handle:
        return handle.read()


def read_user_file_commonpath(filename):
    base = os.path.realpath(BASE_DIR)
    path = os.path.realpath(os.path.join(base, filename))
    if os.path.commonpath([base, path]) != base:
        raise PermissionError(filename)
    # ok: cwe-022-python-path-join-escape
    return open(path).read()


def read_user_file_basename(filename):
    # ok: cwe-022-python-path-join-escape
    return open(os.path.join(BASE_DIR, os.path.basename(filename))).read()


def read_config():
    # ok: cwe-022-python-path-join-escape
    return open(os.path.join(BASE_DIR, "config.ini")).read()
