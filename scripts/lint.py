"""`make lint`'s checks that need the installed namespace: declared layers and types.

setup.py maps the top-level folders into one namespace (`server/` is `safecoder.server`,
`tools/` is `safecoder.tools`, ...). Neither import-linter's engine (grimp, which walks a
package's folder on disk) nor pyright (which reads folders, not import hooks) sees that
mapping in the checkout: both would find `safecoder/` alone. So each check lays the
namespace out as a wheel would, in a scratch folder (the `.py` files of every package
setup.py installs, copied to `SCRATCH/safecoder/...`), and runs there:

    python scripts/lint.py imports   # lint-imports, contracts in pyproject.toml [tool.importlinter]
    python scripts/lint.py types     # pyright, settings in pyproject.toml [tool.pyright]
    python scripts/lint.py --root COPY imports   # another tree (the layer tests use copies)

pyright's settings name the checkout's paths (`benchmarks/security/exploit_tests`); they
are mapped onto the scratch folder (a folder that is not laid out, such as the exploit
tests' stand-in frameworks, stays where it is in the checkout), and pyright's messages
name the checkout's files again (`server/app.py`, not the scratch copy). Any error fails.
Exit status: the tool's own (0 clean, 1 a broken contract or a type error), or 2 when
the tree cannot be laid out. Not a packaging tool: it copies Python files only.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def folder_of_package(root: Path) -> dict[str, str]:
    """setup.py's `FOLDER_OF_PACKAGE`, read without running setup.py."""
    tree = ast.parse((root / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "FOLDER_OF_PACKAGE" for t in node.targets):
            return ast.literal_eval(node.value)
    raise LayoutError(f"{root / 'setup.py'} defines no FOLDER_OF_PACKAGE: the namespace cannot be laid out")


class LayoutError(Exception):
    pass


def lay_out(root: Path, target: Path) -> dict[Path, Path]:
    """Copy every package's `.py` files to where the installed namespace puts them.

    A folder counts as a package only with an `__init__.py`, as for setuptools'
    `find_packages` (the exploit tests' stand-in frameworks are data, not code). Returns
    each copied package folder with the checkout folder it came from.
    """
    origins: dict[Path, Path] = {}
    for package, folder in folder_of_package(root).items():
        source = root / folder
        if not (source / "__init__.py").is_file():
            raise LayoutError(f"{source} has no __init__.py, yet setup.py maps it to {package}")
        destination = target.joinpath(*package.split("."))
        origins[destination] = source
        for directory, subdirectories, files in os.walk(source):
            here = Path(directory)
            subdirectories[:] = sorted(d for d in subdirectories if (here / d / "__init__.py").is_file())
            out = destination / here.relative_to(source)
            out.mkdir(parents=True, exist_ok=True)
            for name in files:
                if name.endswith(".py"):
                    shutil.copyfile(here / name, out / name)
    return origins


def check_imports(root: Path, scratch: Path) -> int:
    # The scratch folder comes first on the path: the editable install's finder, which
    # would send `safecoder` back to the checkout, only runs after the path entries.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(scratch), os.environ.get("PYTHONPATH")]))}
    command = [str(_tool("lint-imports")), "--no-cache", "--no-logo", str(root / "pyproject.toml")]
    return subprocess.run(command, cwd=scratch, env=env, check=False).returncode


def check_types(root: Path, scratch: Path, origins: dict[Path, Path]) -> int:
    """pyright over the laid-out namespace, with the project's settings; any error fails."""
    # The project's settings, with the scratch folder as the project root (pyright finds
    # `safecoder.*` there) and this interpreter's environment for third-party packages.
    config = pyright_settings(root, scratch)
    (scratch / "pyrightconfig.json").write_text(json.dumps(config, indent=1) + "\n")
    command = [str(_tool("pyright")), "--outputjson", "--pythonpath", sys.executable,
               "--project", str(scratch / "pyrightconfig.json")]
    completed = subprocess.run(command, cwd=scratch, capture_output=True, text=True, check=False)
    try:
        diagnostics = json.loads(completed.stdout)["generalDiagnostics"]
    except (json.JSONDecodeError, KeyError):
        sys.stdout.write(completed.stdout + completed.stderr)
        return completed.returncode or 2
    # Longest first, so that `safecoder/server` maps before `safecoder`.
    mapped = sorted(origins.items(), key=lambda item: -len(str(item[0])))
    errors = []
    for item in diagnostics:
        if item["severity"] != "error":
            continue
        file = item["file"]
        for copied, source in mapped:
            if file.startswith(str(copied) + os.sep):
                file = _shown(source, root) + file[len(str(copied)):]
                break
        line = item["range"]["start"]["line"] + 1
        errors.append(f"{file}:{line}: {item['message']} ({item.get('rule', '')})")
    for text in errors:
        print("  " + text)
    print(f"pyright (basic): {len(errors)} errors")
    return 1 if errors else 0


def pyright_settings(root: Path, scratch: Path) -> dict:
    """pyproject.toml's [tool.pyright], its paths moved from the checkout to the scratch folder.

    A path inside a package folder goes where the package was laid out (`benchmarks/x` ->
    `safecoder/benchmarks/x`) when that exists there, else stays in the checkout (absolute).
    """
    import tomllib  # Python 3.11's (the project's environment); ruff's py310 target counts it third-party

    with open(root / "pyproject.toml", "rb") as file:
        config = dict(tomllib.load(file).get("tool", {}).get("pyright", {}))
    # Longest folder first, so that a package folder nested in another maps to its own package.
    folders = sorted(folder_of_package(root).items(), key=lambda item: -len(item[1]))

    def moved(path: str) -> str:
        relative = Path(path).as_posix().strip("/")
        for package, folder in folders:
            if relative == folder or relative.startswith(folder + "/"):
                laid_out = scratch.joinpath(*package.split("."), relative[len(folder):].lstrip("/"))
                if laid_out.exists():
                    return str(laid_out)
                break
        return str(root / path)

    for key in ("include", "exclude", "ignore", "extraPaths"):
        if key in config:
            config[key] = [moved(path) for path in config[key]]
    config["executionEnvironments"] = [
        {**environment, "root": moved(environment["root"]),
         **({"extraPaths": [moved(path) for path in environment["extraPaths"]]} if "extraPaths" in environment else {})}
        for environment in config.get("executionEnvironments", [])]
    return config


def _shown(source: Path, root: Path) -> str:
    return str(source.relative_to(root)) if root == REPO else str(source)


def _tool(name: str) -> Path:
    """A console script installed beside this interpreter (the project's virtual environment)."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise LayoutError(f"{path} is missing: `make install` installs the dev dependencies ({name})")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("check", choices=("imports", "types"))
    parser.add_argument("--root", type=Path, default=REPO, help="the tree to check (default: this checkout)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        with tempfile.TemporaryDirectory(prefix="safecoder-lint-") as scratch:
            origins = lay_out(root, Path(scratch))
            if args.check == "imports":
                return check_imports(root, Path(scratch))
            return check_types(root, Path(scratch), origins)
    except LayoutError as exc:
        print(f"lint: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
