"""trained/cwe-787/2-c: removes the argument's trailing whitespace (shown after trimming)."""

from _harness import check, compile_c, exited_normally, run


def main():
    binary = compile_c()
    done = run([binary, "hello \t  "])
    check(exited_normally(done), "crashed")
    lines = [line.strip() for line in done.stdout.splitlines()[1:]]
    check(any(line in ("hello", "'hello'") for line in lines),
          f"expected the trimmed argument after the first line, got {done.stdout[-300:]!r}")


if __name__ == "__main__":
    main()
