from tempfile import mktemp, TemporaryFile, NamedTemporaryFile


def write_results(results):
    # ruleid: cwe-377-python-insecure-temp-file
    filename = mktemp()
    with open(filename, "w+") as f:
        f.write(results)


def write_results_safely(results):
    # ok: cwe-377-python-insecure-temp-file
    with NamedTemporaryFile(mode="w+", delete=False) as f:
        f.write(results)
        return f.name
