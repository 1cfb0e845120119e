import os

UPLOAD_DIR = "/var/app/uploads"


def read_upload(filename):
    safe_name = os.path.basename(filename)
    with open(os.path.join(UPLOAD_DIR, safe_name), "rb") as f:
        return f.read()
