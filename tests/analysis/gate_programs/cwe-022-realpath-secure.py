import os

UPLOAD_DIR = "/var/app/uploads"


def read_upload(filename):
    base = os.path.realpath(UPLOAD_DIR)
    path = os.path.realpath(os.path.join(base, filename))
    if os.path.commonpath([base, path]) != base:
        raise PermissionError("path escapes the upload folder")
    with open(path, "rb") as f:
        return f.read()
