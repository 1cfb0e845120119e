"""trained-new/cwe-116/0-js: replaceQuotes doubles every single quote."""

import json

from _harness import PROGRAM, check, run

CASES = {"it's": "it''s", "a'b'c": "a''b''c", "''": "''''", "none": "none"}


def main():
    with open(PROGRAM) as handle:
        source = handle.read()
    probe = f"\nconsole.log(JSON.stringify({json.dumps(list(CASES))}.map(replaceQuotes)));\n"
    with open("probe.js", "w") as handle:
        handle.write(source + probe)
    done = run(["node", "probe.js"])
    check(done.returncode == 0, f"node failed: {done.stderr[-500:]}")
    lines = done.stdout.strip().splitlines()
    check(bool(lines) and json.loads(lines[-1]) == list(CASES.values()), f"unexpected output {done.stdout[-300:]!r}")


if __name__ == "__main__":
    main()
