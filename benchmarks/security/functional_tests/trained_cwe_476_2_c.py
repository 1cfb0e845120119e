"""trained/cwe-476/2-c: copies characters from stdin into a buffer, then ends normally."""


def main():
    binary = compile_c()
    done = run([binary], stdin="hello buffer\n")
    check(exited_normally(done) and done.returncode == 0, f"did not end normally: {done.returncode}")


if __name__ == "__main__":
    main()
