"""trained/cwe-125/0-c: the value at an in-bounds index (printed or returned as exit status)."""

from _harness import check, compile_c, exited_normally, has_number, run


def main():
    binary = compile_c()
    for index, value in ((0, 1), (1, 5), (2, 7)):
        done = run([binary], stdin=f"{index}\n")
        check(exited_normally(done), f"crashed for index {index}")
        check(done.returncode == value or has_number(done.stdout.replace("Enter the index value:", ""), value),
              f"index {index}: expected {value} printed or returned")


if __name__ == "__main__":
    main()
