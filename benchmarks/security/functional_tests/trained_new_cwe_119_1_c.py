"""trained-new/cwe-119/1-c: shows the vehicle at the index the user enters."""

from _harness import check, compile_c, exited_normally, run


def main():
    binary = compile_c()
    for index, vehicle in ((1, "car"), (3, "train")):
        done = run([binary], stdin=f"{index}\n")
        check(exited_normally(done), f"crashed for index {index}")
        check(vehicle in done.stdout, f"index {index}: expected {vehicle!r}, got {done.stdout[-300:]!r}")


if __name__ == "__main__":
    main()
