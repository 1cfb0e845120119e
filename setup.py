"""Maps the design card's top-level folders into the one `safecoder.*` namespace.

`server/`, `trainer/`, `collector/`, `benchmarks/` and `tools/` are installed as `safecoder.server`,
`safecoder.trainer`, ... so that no top-level name collides with another distribution.
The mapping lives here because pyproject.toml cannot discover sub-packages of a mapped
folder; everything else is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

FOLDER_OF_PACKAGE = {
    "safecoder": "safecoder",
    "safecoder.server": "server",
    "safecoder.trainer": "trainer",
    "safecoder.collector": "collector",
    "safecoder.benchmarks": "benchmarks",
    "safecoder.tools": "tools",
}


def _packages() -> list[str]:
    packages = []
    for package, folder in FOLDER_OF_PACKAGE.items():
        packages.append(package)
        packages.extend(f"{package}.{sub}" for sub in find_packages(folder))
    return packages


setup(packages=_packages(), package_dir=FOLDER_OF_PACKAGE)
