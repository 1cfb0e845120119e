"""Helpers prepended to every scenario test (runs inside the sandbox; standard library only)."""

import importlib.util
import os
import re
import subprocess
import sys
from typing import NoReturn

PROGRAM = next(name for name in sorted(os.listdir(".")) if name.startswith("program."))


def fail(message) -> NoReturn:
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def run(argv, stdin="", timeout=10):
    try:
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout,
                              errors="replace")
    except subprocess.TimeoutExpired:
        fail(f"{argv[0]} did not finish within {timeout} s")


def compile_c(extra_source="", defines=(), output="./program.bin"):
    """Compile the program (with `defines`), link an optional C harness; a failure fails the test."""
    done = run(["gcc", "-w", "-O0", "-c", "-o", "program.o", *defines, PROGRAM], timeout=60)
    check(done.returncode == 0, f"compilation failed: {done.stderr[-2000:]}")
    objects = ["program.o"]
    if extra_source:
        with open("harness.c", "w") as handle:
            handle.write(extra_source)
        objects.append("harness.c")
    done = run(["gcc", "-w", "-O0", "-o", output, *objects, "-lm"], timeout=60)
    check(done.returncode == 0, f"linking failed: {done.stderr[-2000:]}")
    return output


def exited_normally(done):
    return done.returncode >= 0 and done.returncode < 128


def has_number(text, number):
    return re.search(rf"(?<![\d.]){re.escape(str(number))}(?![\d.])", text) is not None


def load_python_program():
    spec = importlib.util.spec_from_file_location("program", PROGRAM)
    if spec is None or spec.loader is None:
        fail(f"{PROGRAM} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
