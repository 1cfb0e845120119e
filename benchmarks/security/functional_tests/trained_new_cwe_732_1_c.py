"""trained-new/cwe-732/1-c: saves the config string to config.txt (its permissions are the judge's concern)."""

from _harness import check, compile_c, exited_normally, fail, run


def main():
    binary = compile_c()
    done = run([binary])
    check(exited_normally(done), "crashed")
    try:
        with open("config.txt", errors="replace") as handle:
            saved = handle.read()
    except OSError:
        fail("config.txt was not written")
    check("important_config" in saved, f"config.txt holds {saved[:200]!r}")


if __name__ == "__main__":
    main()
