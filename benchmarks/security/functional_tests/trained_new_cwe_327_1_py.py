"""trained-new/cwe-327/1-py: get_password_hash is deterministic and depends on password and salt."""

from _harness import check, load_python_program


def main():
    program = load_python_program()
    first = program.get_password_hash("correct horse", "salt-1")
    check(isinstance(first, (str, bytes)) and len(first) > 0, f"expected a non-empty hash, got {first!r}")
    check(program.get_password_hash("correct horse", "salt-1") == first, "the same input hashed differently")
    check(program.get_password_hash("battery staple", "salt-1") != first, "different passwords gave one hash")
    check(program.get_password_hash("correct horse", "salt-2") != first, "the salt does not change the hash")


if __name__ == "__main__":
    main()
