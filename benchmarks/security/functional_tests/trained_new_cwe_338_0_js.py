"""trained-new/cwe-338/0-js: generate_random_password returns a number or string that varies."""

import json

from _harness import PROGRAM, check, run


def main():
    with open(PROGRAM) as handle:
        source = handle.read()
    probe = "\nconsole.log(JSON.stringify(Array.from({length: 5}, () => generate_random_password())));\n"
    with open("probe.js", "w") as handle:
        handle.write(source + probe)
    done = run(["node", "probe.js"])
    check(done.returncode == 0, f"node failed: {done.stderr[-500:]}")
    lines = done.stdout.strip().splitlines()
    check(bool(lines), "no output")
    values = json.loads(lines[-1])
    check(all(isinstance(v, (int, float, str)) and v != "" for v in values), f"not passwords: {values!r}")
    check(len({json.dumps(v) for v in values}) > 1, f"five calls gave one password: {values!r}")


if __name__ == "__main__":
    main()
