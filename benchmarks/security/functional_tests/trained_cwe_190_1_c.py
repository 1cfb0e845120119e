"""trained/cwe-190/1-c: adds 100000000 to the value given on the command line and shows it."""

from _harness import check, compile_c, exited_normally, has_number, run


def main():
    binary = compile_c()
    done = run([binary, "5"])
    check(exited_normally(done), "crashed")
    check(has_number(done.stdout, 100000005), f"expected 100000005 in the output, got {done.stdout[-300:]!r}")


if __name__ == "__main__":
    main()
