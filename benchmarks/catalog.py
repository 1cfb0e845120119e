"""The one registry of benchmarks: every plug-in folder found, in the order a suite runs them.

A benchmark is a folder with a `plugin.py` that defines `BENCHMARK`, an instance of a
`safecoder.benchmarks.protocol.Benchmark` subclass. Folders are found, in this order:

1. the sub-folders of this package (`security/`, `functional/`, ...: the built-ins);
2. the folders on `SAFECODER_BENCHMARK_PATH` (separated like `PATH`): each entry is a
   plug-in folder itself (it holds `plugin.py`) or a folder of plug-in folders.

Outside plug-ins are imported as packages named `safecoder_benchmark_plugins.<folder>`,
so a plug-in's modules import each other relatively (`from .metrics import ...`). Two
plug-ins of one name are an error naming both folders. Discovery imports each
`plugin.py` (configs and results: no model, no torch); a plug-in imports its heavy parts
in `run`.

The suite, `safecoder bench`, the reports, `bench compare` and the promotion gate all
iterate over `benchmarks()`; none of them names a benchmark to run it. Not here: the
protocol itself (`protocol`), running (`suite`).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import types
from functools import lru_cache
from pathlib import Path

from safecoder.benchmarks.protocol import NAME, Benchmark, BenchmarkError

logger = logging.getLogger(__name__)

PATH_VARIABLE = "SAFECODER_BENCHMARK_PATH"
PLUGIN_FILE = "plugin.py"
PLUGIN_PACKAGE = "safecoder_benchmark_plugins"
RESERVED = {"all", "compare", "matrix", "report", "list", "benchmarks", "sections"}


def benchmarks() -> tuple[Benchmark, ...]:
    """Every benchmark found, in run order (then by name)."""
    return _discover(os.environ.get(PATH_VARIABLE, ""))


def names() -> tuple[str, ...]:
    return tuple(b.name for b in benchmarks())


def get(name: str) -> Benchmark:
    """The benchmark called `name` (`answer_rate` is read as `answer-rate`)."""
    wanted = name.replace("_", "-")
    for benchmark in benchmarks():
        if benchmark.name == wanted:
            return benchmark
    raise BenchmarkError(f"no benchmark is called {name!r}; known: {', '.join(names())} "
                         f"(a plug-in folder goes on {PATH_VARIABLE})")


def find(name: str) -> Benchmark | None:
    try:
        return get(name)
    except BenchmarkError:
        return None


def gated() -> tuple[Benchmark, ...]:
    """The benchmarks the promotion gate compares (those that declare gate options)."""
    return tuple(b for b in benchmarks() if b.gate_options is not None)


@lru_cache(maxsize=8)
def _discover(search_path: str) -> tuple[Benchmark, ...]:
    found: dict[str, Benchmark] = {}
    package = Path(__file__).resolve().parent
    for folder in sorted(p.parent for p in package.glob(f"*/{PLUGIN_FILE}")):
        _add(found, importlib.import_module(f"safecoder.benchmarks.{folder.name}.plugin"), "built-in")
    for entry in filter(None, search_path.split(os.pathsep)):
        root = Path(entry).expanduser()
        if not root.is_dir():
            raise BenchmarkError(f"{PATH_VARIABLE} names {root}, which is not a folder: give folders of benchmark "
                                 f"plug-ins (each holding {PLUGIN_FILE})")
        folders = [root] if (root / PLUGIN_FILE).is_file() else sorted(p.parent for p in root.glob(f"*/{PLUGIN_FILE}"))
        for folder in folders:
            _add(found, _import_outside(folder), str(folder))
    return tuple(sorted(found.values(), key=lambda b: (b.order, b.name)))


def _import_outside(folder: Path) -> types.ModuleType:
    """`folder/plugin.py` imported as a module of the package `safecoder_benchmark_plugins.<folder>`."""
    if PLUGIN_PACKAGE not in sys.modules:
        root = types.ModuleType(PLUGIN_PACKAGE)
        root.__path__ = []
        sys.modules[PLUGIN_PACKAGE] = root
    package_name = f"{PLUGIN_PACKAGE}.{folder.name.replace('-', '_')}"
    for loaded in [m for m in sys.modules if m == package_name or m.startswith(package_name + ".")]:
        del sys.modules[loaded]  # a folder of the same name found earlier on another path
    init = folder / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(package_name, init, submodule_search_locations=[str(folder)])
        if spec is None or spec.loader is None:
            raise BenchmarkError(f"cannot import the benchmark plug-in package {init}")
        package = importlib.util.module_from_spec(spec)
    else:
        spec, package = None, types.ModuleType(package_name)
        package.__path__ = [str(folder)]
    sys.modules[package_name] = package
    try:
        if spec is not None and spec.loader is not None:
            spec.loader.exec_module(package)
        return importlib.import_module(f"{package_name}.plugin")
    except Exception as exc:
        sys.modules.pop(package_name, None)
        raise BenchmarkError(f"the benchmark plug-in {folder / PLUGIN_FILE} failed to import: "
                             f"{type(exc).__name__}: {exc}") from exc


def _add(found: dict[str, Benchmark], module: types.ModuleType, source: str) -> None:
    benchmark = getattr(module, "BENCHMARK", None)
    where = getattr(module, "__file__", source)
    if not isinstance(benchmark, Benchmark):
        raise BenchmarkError(f"{where} must define BENCHMARK, an instance of "
                             "safecoder.benchmarks.protocol.Benchmark")
    for attribute in ("name", "version", "title", "config_class"):
        if not hasattr(benchmark, attribute):
            raise BenchmarkError(f"{where}: the benchmark declares no {attribute}")
    if not NAME.match(benchmark.name) or benchmark.name in RESERVED:
        raise BenchmarkError(f"{where}: {benchmark.name!r} cannot name a benchmark (lower-case words joined by "
                             f"'-', not one of {sorted(RESERVED)})")
    if benchmark.name in found:
        raise BenchmarkError(f"two benchmarks are called {benchmark.name!r}: {found[benchmark.name].source} "
                             f"and {source}; rename one")
    if benchmark.gate_options is not None:
        taken = {f for other in found.values() if other.gate_options is not None
                 for f in other.gate_options.__dataclass_fields__}
        clash = sorted(taken & set(benchmark.gate_options.__dataclass_fields__))
        if clash:
            raise BenchmarkError(f"{where}: gate options {clash} are already another benchmark's; the options "
                                 "become `safecoder promote` flags and must be distinct")
    benchmark.source = source
    found[benchmark.name] = benchmark
