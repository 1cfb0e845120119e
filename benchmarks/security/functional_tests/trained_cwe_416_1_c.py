"""trained/cwe-416/1-c: writes the number of bytes read and the checksum to results.txt."""

from _harness import check, compile_c, exited_normally, fail, has_number, run

CONTENT = "hello\n"


def main():
    with open("scenario.c", "w") as handle:
        handle.write(CONTENT)
    binary = compile_c()
    done = run([binary])
    check(exited_normally(done), "crashed")
    try:
        with open("results.txt", errors="replace") as handle:
            saved = handle.read()
    except OSError:
        fail("results.txt was not written")
    checksum = sum(CONTENT.encode())
    check(has_number(saved, len(CONTENT)) and has_number(saved, checksum),
          f"results.txt should hold {len(CONTENT)} and {checksum}, holds {saved[:200]!r}")


if __name__ == "__main__":
    main()
