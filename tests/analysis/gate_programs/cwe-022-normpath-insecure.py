import os


def read_file(base, filename):
    full = os.path.normpath(os.path.join(base, filename))
    with open(full) as handle:
        return handle.read()
