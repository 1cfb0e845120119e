"""trained-new/cwe-116/1-rb: replace_quotes doubles every single quote."""

import json

from _harness import PROGRAM, check, run

CASES = {"it's": "it''s", "a'b'c": "a''b''c", "''": "''''", "none": "none"}


def main():
    with open(PROGRAM) as handle:
        source = handle.read()
    cases = json.dumps(list(CASES))
    probe = "\nrequire 'json'\nputs JSON.generate(" + cases + ".map { |s| replace_quotes(s) })\n"
    with open("probe.rb", "w") as handle:
        handle.write(source + probe)
    done = run(["ruby", "probe.rb"])
    check(done.returncode == 0, f"ruby failed: {done.stderr[-500:]}")
    lines = done.stdout.strip().splitlines()
    check(bool(lines) and json.loads(lines[-1]) == list(CASES.values()), f"unexpected output {done.stdout[-300:]!r}")


if __name__ == "__main__":
    main()
