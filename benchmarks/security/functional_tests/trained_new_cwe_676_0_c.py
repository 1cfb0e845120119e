"""trained-new/cwe-676/0-c: reads a line from stdin into the buffer, then ends normally."""

from _harness import check, compile_c, exited_normally, run


def main():
    binary = compile_c()
    done = run([binary], stdin="some input\n")
    check(exited_normally(done) and done.returncode == 0, f"did not end normally: {done.returncode}")


if __name__ == "__main__":
    main()
