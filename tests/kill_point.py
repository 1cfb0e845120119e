"""SIGKILL a real `safecoder` command at a chosen rename, for the `kill -9` tests.

Every file or folder SafeCoder publishes appears by a rename (`os.replace`, `os.rename`:
`safecoder.atomic`, the registry's publication of a version, the GGUF export's moves), so
its renames are the points at which what another process sees changes; a kill anywhere
between two renames leaves what a kill at the second one leaves (plus scratch files).

    python tests/kill_point.py [--trace FILE] [--before N | --after N | --after-target NAME | --after-match GLOB] -- ARGS...

runs `safecoder ARGS` in this process. `--before N` kills it with SIGKILL (no `finally`,
no `atexit`, nothing cleaned) just before its N-th rename, `--after N` just after it,
`--after-target NAME` just after its first rename to a path named NAME, `--after-match GLOB`
just after its first rename to a path whose name matches GLOB (a cache file whose key is
not known in advance).
`--trace FILE` appends one line per rename, `source<TAB>target`, written before it is
made, so a test counts the renames of an uninterrupted run and draws kill points from
that count (seeded). Only this process's renames count, not those of its subprocesses
(the GGUF converter and quantizer); a test that kills one of those kills the process
group itself.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import signal
import sys


def _arm(trace: str | None, before: int | None, after: int | None, after_target: str | None,
         after_match: str | None) -> None:
    count = 0

    def wrap(original):
        def rename(source, target, *args, **kwargs):
            nonlocal count
            count += 1
            if trace:
                with open(trace, "a", encoding="utf-8") as handle:
                    handle.write(f"{os.fspath(source)}\t{os.fspath(target)}\n")
            if count == before:
                os.kill(os.getpid(), signal.SIGKILL)
            result = original(source, target, *args, **kwargs)
            name = os.path.basename(os.fspath(target))
            if count == after or name == after_target or (after_match is not None and fnmatch.fnmatch(name, after_match)):
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return rename

    os.replace = wrap(os.replace)
    os.rename = wrap(os.rename)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trace")
    point = parser.add_mutually_exclusive_group()
    point.add_argument("--before", type=int)
    point.add_argument("--after", type=int)
    point.add_argument("--after-target")
    point.add_argument("--after-match")
    parser.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    arguments = args.arguments[1:] if args.arguments[:1] == ["--"] else args.arguments
    _arm(args.trace, args.before, args.after, args.after_target, args.after_match)
    from safecoder.cli import main as safecoder_main

    return safecoder_main(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
