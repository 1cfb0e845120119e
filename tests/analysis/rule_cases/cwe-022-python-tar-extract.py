import os
import tarfile


def extract():
    with tarfile.open("archive.tar.gz") as tar:
        # ruleid: cwe-022-python-tar-extract
        tar.extractall("/tmp/unpack")


def extract_members():
    with tarfile.open("archive.tar.gz") as tar:
        for member in tar.getmembers():
            # ruleid: cwe-022-python-tar-extract
            tar.extract(member, "/tmp/unpack")


def extract_checked():
    with tarfile.open("archive.tar.gz") as tar:
        for member in tar.getmembers():
            target = os.path.realpath(os.path.join("/tmp/unpack", member.name))
            if not target.startswith("/tmp/unpack" + os.sep):
                raise ValueError("unsafe member " + member.name)
            # ok: cwe-022-python-tar-extract
            tar.extract(member, "/tmp/unpack")


def extract_inside_check():
    with tarfile.open("archive.tar.gz") as tar:
        for member in tar.getmembers():
            if os.path.realpath(os.path.join("/tmp/unpack", member.name)).startswith("/tmp/unpack"):
                # ok: cwe-022-python-tar-extract
                tar.extract(member, "/tmp/unpack")


def extract_filtered(safe_members):
    with tarfile.open("archive.tar.gz") as tar:
        # ok: cwe-022-python-tar-extract
        tar.extractall("/tmp/unpack", members=safe_members(tar))
        # ok: cwe-022-python-tar-extract
        tar.extractall("/tmp/unpack", filter="data")
