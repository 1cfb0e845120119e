"""The model being served, and how it follows the registry without dropping requests.

Input: a model reference (`production`, `v0003`, a path, `default`, or nothing: then
`production` when the registry has it, else the shipped SafeCoder model registered as
`production` on first use (`safecoder.models.shipped`), else `default`), an engine kind
and its options.
Output: `ModelSlot`, whose `use()` hands a request the current `ServedModel` (engine,
reference, registry version) and counts it as in flight.

When the reference is a registry alias, a watcher re-reads the registry's `aliases.json`
whenever its modification time changes. A promotion or rollback loads the new version
into a second engine while the first keeps serving; once the new one is ready it takes
new requests, and the old one is closed when its last request in flight has finished.
A version that fails to load (a torn manifest, missing weights) is logged and skipped,
and retried when its manifest is rewritten; a torn or missing alias file is logged; in
both cases the old model keeps serving and `problem` says why (shown by `/health`).

Engines are built with `safecoder.engines.create_engine` only; nothing here depends on
a particular engine. Not a multi-model router: one reference is served at a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from safecoder.engines import create_engine
from safecoder.engines.base import Engine
from safecoder.models.reference import ResolvedModel, resolve
from safecoder.registry.manifest import MANIFEST_FILE

logger = logging.getLogger(__name__)

PRODUCTION = "production"


@dataclass(eq=False)
class ServedModel:
    engine: Engine
    resolved: ResolvedModel
    reference: str
    in_flight: int = 0
    retired: bool = False
    closed: bool = field(default=False, repr=False)
    # When this model started serving (Unix seconds): the `created` of /v1/models.
    loaded_at: int = field(default_factory=lambda: int(time.time()))

    @property
    def version(self) -> str | None:
        return self.resolved.registry_version

    @property
    def ids(self) -> tuple[str, ...]:
        """Names a request's `model` field may use for this model."""
        names = [self.reference, self.resolved.name]
        if self.version:
            names.append(self.version)
        return tuple(dict.fromkeys(names))

    def describe(self) -> dict[str, Any]:
        return {"reference": self.reference, "version": self.version, "name": self.resolved.name,
                "engine": self.engine.kind, "adapter": self.resolved.is_adapter,
                "max_context_tokens": self.engine.max_context_tokens,
                "fim_format": self.engine.fim_format.name if self.engine.fim_format else None}


def _stamp(path) -> tuple | None:
    """What changes when a file is rewritten (None when it is missing)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def choose_reference(requested: str | None) -> tuple[str, str]:
    """(reference to serve, why) for `--model` given or left out."""
    if requested:
        return requested, f"serving {requested!r} as asked"
    from safecoder.models import shipped
    from safecoder.registry import Registry

    registry = Registry()
    if registry.knows(PRODUCTION):
        updated = shipped.production_on_update(registry)
        if updated is not None:
            version, model = updated
            return PRODUCTION, (f"serving the shipped SafeCoder model {model.name} of this release as `production` "
                                f"({version}; it replaced the earlier shipped model; no --model given)")
        return PRODUCTION, "serving the registry's `production` model (no --model given)"
    first_use = shipped.production_on_first_use(registry)
    if first_use is not None:
        version, model = first_use
        return PRODUCTION, (f"serving the shipped SafeCoder model {model.name} as `production` ({version}, registered "
                            "on first use; no --model given)")
    return "default", ("serving the packaged default model (no --model given, no `production` in the registry, "
                       "and no shipped SafeCoder model for this default)")


EngineFactory = Callable[..., Engine]


class ModelSlot:
    def __init__(self, reference: str, engine_kind: str = "auto", engine_options: dict | None = None,
                 watch_interval_s: float = 2.0, on_change: Callable[[ServedModel], None] | None = None,
                 engine_factory: EngineFactory = create_engine):
        self.reference = reference
        self.engine_kind = engine_kind
        self.engine_options = dict(engine_options or {})
        self.watch_interval_s = watch_interval_s
        self._on_change = on_change
        self._engine_factory = engine_factory
        self._current: ServedModel | None = None
        self._watcher: asyncio.Task | None = None
        # Versions that failed to load, with the manifest stamp they failed with.
        self._failed_versions: dict[str, tuple | None] = {}
        # What keeps the served model from following its alias (a torn alias file or manifest);
        # None while it follows. /health shows it.
        self.problem: str | None = None
        self._retiring: set[asyncio.Task] = set()

    @property
    def ready(self) -> bool:
        return self._current is not None

    @property
    def current(self) -> ServedModel:
        if self._current is None:
            raise RuntimeError("the model is not loaded yet")
        return self._current

    async def start(self) -> None:
        self._current = await self._load(self.reference)
        self._announce()
        if self._follows_registry():
            self._watcher = asyncio.create_task(self._watch(), name="safecoder-registry-watch")

    @asynccontextmanager
    async def use(self) -> AsyncIterator[ServedModel]:
        served = self.current
        served.in_flight += 1
        try:
            yield served
        finally:
            served.in_flight -= 1
            if served.retired and served.in_flight == 0:
                self._close_later(served)

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            try:
                await self._watcher
            except asyncio.CancelledError:
                pass
        if self._current is not None:
            await self._close(self._current)
        for task in list(self._retiring):
            await task

    # ----- following the registry --------------------------------------------------
    def _follows_registry(self) -> bool:
        from safecoder.models import packaged
        from safecoder.registry import Registry
        from safecoder.registry.store import VERSION_PATTERN

        if packaged.lookup(self.reference) is not None or VERSION_PATTERN.match(self.reference):
            return False
        if os.path.exists(os.path.expanduser(self.reference)):
            return False
        return self.reference in Registry().aliases()

    async def _watch(self) -> None:
        from safecoder.registry import Registry

        registry = Registry()
        last_stamp = None
        while True:
            await asyncio.sleep(self.watch_interval_s)
            # A version that failed to load is retried once its manifest changes (a torn one rewritten).
            stamp = (_stamp(registry.aliases_file),
                     *(_stamp(registry.version_dir(v) / MANIFEST_FILE) for v in sorted(self._failed_versions)))
            if stamp == last_stamp:
                continue
            last_stamp = stamp
            try:
                version = registry.aliases().get(self.reference)
            except Exception as exc:  # a missing or torn alias file must not stop the watcher
                self._report(f"cannot read the registry's aliases ({exc}); still serving {self.current.version}")
                continue
            if version is None:
                self._report(f"the alias {self.reference!r} is no longer set in {registry.aliases_file}; "
                             f"still serving {self.current.version}")
                continue
            if version == self.current.version:
                self.problem = None
                continue
            manifest_stamp = _stamp(registry.version_dir(version) / MANIFEST_FILE)
            if self._failed_versions.get(version, "never") == manifest_stamp:
                continue
            await self._switch(version, manifest_stamp)

    async def _switch(self, version: str, manifest_stamp=None) -> None:
        old = self.current
        logger.info("%s now points to %s (was %s): loading it while %s keeps serving",
                    self.reference, version, old.version, old.version)
        try:
            new = await self._load(self.reference)
        except Exception as exc:
            self._failed_versions[version] = manifest_stamp
            self._report(f"could not load {version} ({type(exc).__name__}: {exc}); still serving {old.version}",
                         logging.ERROR)
            return
        self._failed_versions.pop(version, None)
        self.problem = None
        self._current = new
        old.retired = True
        if old.in_flight == 0:
            self._close_later(old)
        self._announce()

    def _report(self, problem: str, level: int = logging.WARNING) -> None:
        """Log a registry problem and keep it for /health until the registry reads well again."""
        self.problem = problem
        logger.log(level, "%s", problem)

    # ----- engines -------------------------------------------------------------------
    async def _load(self, reference: str) -> ServedModel:
        resolved = await asyncio.to_thread(resolve, reference)
        engine = await asyncio.to_thread(self._engine_factory, self.engine_kind, resolved, **self.engine_options)
        try:
            await engine.start()
        except BaseException:
            await engine.close()
            raise
        return ServedModel(engine, resolved, reference)

    def _announce(self) -> None:
        served = self.current
        logger.info("serving %s (version %s, %s) with the %s engine", served.reference, served.version or "-",
                    served.resolved.name, served.engine.kind)
        if self._on_change is not None:
            self._on_change(served)

    def _close_later(self, served: ServedModel) -> None:
        task = asyncio.create_task(self._close(served))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _close(self, served: ServedModel) -> None:
        if served.closed:
            return
        served.closed = True
        try:
            await served.engine.close()
            logger.info("closed the engine of %s", served.version or served.reference)
        except Exception as exc:
            logger.warning("closing the engine of %s failed: %s", served.version or served.reference, exc)
