"""The model registry: versions with manifests, aliases, and a history for rollback.

Layout under `SAFECODER_HOME/registry/`:

    versions/v0001/manifest.json   (+ weights/, adapter/, gguf/ as the version has them)
    aliases.json                   {"aliases": {...}, "stacks": {...}, "history": [...]}
    .lock                          serialises every change

Every change is atomic: a version's files are copied into a hidden staging folder and
published with one rename, the manifest written before that rename; `aliases.json` is
replaced whole. All read-modify-write sequences hold an inter-process file lock, so two
processes registering or promoting at once both succeed, in some order. Staging folders
left by a killed process are removed by the next writer, once their process is gone, and
so are the temporary files of a manifest or `aliases.json` whose writer was killed.

Two changes touch two files. A promotion commits in `aliases.json` (the history event
holds the whole decision) and then records itself in the manifest; a process killed
between them leaves a promotion `finish_promotion` completes from the history. A
registration publishes the version and then sets its aliases; `finish_registration`
sets the ones a killed process did not (the trainer does, finding its run's version with
`registered_from`). `register_once` (what `safecoder registry register` uses) does the
same for a manual registration run again: a version with the same content and lineage
(`same_content`: kind, files by SHA-256, base model, parent, run folder, data and config)
is found instead of published twice, and its unfinished aliases are set. Notes are not
part of a version's identity: identical content registered again under other notes is
the version already there (its own notes kept); a second name for it is an alias.
`register` itself always adds a version (programs and tests that want two versions of
one model, say two `embedded` versions to promote between, ask for them).

`production` moves only by `promote`, which records its decision (the reason and the
promotion gate's evidence) in the alias history and the version's manifest, and by
`rollback`; `set_alias` refuses it. The gate that decides is `safecoder promote` (the
benchmarks stage); `safecoder registry promote` is the same command.

Not a blob store: weights are files on the local disk (or a shared file system that
supports rename and locks).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock

from safecoder import paths
from safecoder.atomic import current_umask, publish_dir, write_json
from safecoder.disk_space import out_of_space
from safecoder.errors import SafeCoderError
from safecoder.hashing import code_version, sha256_file, sha256_json
from safecoder.registry.manifest import MANIFEST_FILE, Kind, Manifest

logger = logging.getLogger(__name__)

VERSION_PATTERN = re.compile(r"^v(\d{4,})$")
ALIAS_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
STANDARD_ALIASES = ("candidate", "production")
PRODUCTION = "production"


class RegistryError(SafeCoderError):
    """A registry operation that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Registration:
    """What `register_once` did: the version, whether it was already registered (then nothing
    was published), and the aliases it set now (the others were set by the version's
    registration before, and may have moved on since)."""

    manifest: Manifest
    existing: bool
    aliases_set: tuple[str, ...]


class Registry:
    def __init__(self, root: str | os.PathLike | None = None, lock_timeout: float = 120.0):
        self.root = Path(root) if root is not None else paths.registry_root()
        self.versions_dir = self.root / "versions"
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        self.aliases_file = self.root / "aliases.json"
        self._lock = FileLock(str(self.root / ".lock"), timeout=lock_timeout)

    # ----- reading -------------------------------------------------------------------
    def versions(self) -> list[str]:
        found = [p.name for p in self.versions_dir.iterdir()
                 if VERSION_PATTERN.match(p.name) and (p / MANIFEST_FILE).is_file()]
        return sorted(found, key=lambda v: int(v[1:]))

    def list(self) -> list[Manifest]:
        return [self.get(version) for version in self.versions()]

    def version_dir(self, version: str) -> Path:
        return self.versions_dir / version

    def get(self, reference: str) -> Manifest:
        """The manifest of a version, or of the version an alias points to."""
        version = self.version_of(reference)
        manifest_path = self.version_dir(version) / MANIFEST_FILE
        try:
            return Manifest.from_dict(json.loads(manifest_path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise RegistryError(f"no version {version} in the registry at {self.root}") from None
        except (ValueError, TypeError, AttributeError) as exc:  # not JSON, not UTF-8, not a manifest
            raise RegistryError(f"{manifest_path} is corrupt ({type(exc).__name__}: {exc}); restore it from a "
                                f"backup, or remove the folder {manifest_path.parent} to drop {version}") from None

    def aliases(self) -> dict[str, str]:
        return dict(self._read_alias_state()["aliases"])

    def history(self, alias: str | None = None) -> list[dict[str, Any]]:
        events = self._read_alias_state()["history"]
        return [e for e in events if alias is None or e["alias"] == alias]

    def knows(self, reference: str) -> bool:
        if VERSION_PATTERN.match(reference):
            return (self.version_dir(reference) / MANIFEST_FILE).is_file()
        return reference in self.aliases()

    def known_references(self) -> list[str]:
        return sorted(self.aliases()) + self.versions()

    def version_of(self, reference: str) -> str:
        if VERSION_PATTERN.match(reference):
            if not (self.version_dir(reference) / MANIFEST_FILE).is_file():
                raise RegistryError(f"no version {reference} in the registry; `safecoder registry list` shows them")
            return reference
        aliases = self.aliases()
        if reference in aliases:
            return aliases[reference]
        known = ", ".join(sorted(aliases)) or "none set"
        raise RegistryError(f"{reference!r} is neither a version (like v0001) nor an alias (set: {known})")

    # ----- writing -------------------------------------------------------------------
    def register(
        self,
        source: str | os.PathLike | None,
        *,
        kind: Kind,
        base_model: str,
        data: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
        parent: str | None = None,
        run_dir: str | os.PathLike | None = None,
        notes: str = "",
        aliases: Iterable[str] = ("candidate",),
        move: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> Manifest:
        """Add a version from a folder of weights (`full`), an adapter folder (`adapter`),
        a GGUF file (`gguf`) or nothing (`embedded`, the default model by reference).

        The files are copied (or moved, with `move=True`) before the lock is taken, so a
        slow copy never blocks other registry users. Always adds a version; `register_once`
        finds one with the same content and lineage instead.
        """
        return self._register(source, kind=kind, base_model=base_model, data=data, config=config, parent=parent,
                              run_dir=run_dir, notes=notes, aliases=aliases, move=move, extra=extra,
                              reuse=False).manifest

    def register_once(
        self,
        source: str | os.PathLike | None,
        *,
        kind: Kind,
        base_model: str,
        data: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
        parent: str | None = None,
        run_dir: str | os.PathLike | None = None,
        notes: str = "",
        aliases: Iterable[str] = ("candidate",),
        extra: dict[str, Any] | None = None,
    ) -> Registration:
        """`register`, unless a version with the same content and lineage (`same_content`) is
        already registered: then that version, with the aliases its registration never set
        now set (a registration killed between publishing the version and setting them is
        finished; see `finish_registration`), and nothing published. The files are copied
        and hashed first (that is how their content is known); the copy is dropped when the
        version exists."""
        return self._register(source, kind=kind, base_model=base_model, data=data, config=config, parent=parent,
                              run_dir=run_dir, notes=notes, aliases=aliases, move=False, extra=extra, reuse=True)

    def _register(self, source: str | os.PathLike | None, *, kind: Kind, base_model: str,
                  data: dict[str, str] | None, config: dict[str, Any] | None, parent: str | None,
                  run_dir: str | os.PathLike | None, notes: str, aliases: Iterable[str], move: bool,
                  extra: dict[str, Any] | None, reuse: bool) -> Registration:
        if kind not in ("full", "adapter", "embedded", "gguf"):
            raise RegistryError(f"unknown version kind {kind!r}: expected full, adapter, embedded or gguf")
        staging = self._new_staging()
        existing: Manifest | None = None
        finished: list[str] = []
        try:
            manifest_fields = self._stage_files(staging, source, kind, move)
            _ordinary_modes(staging)
            config = config or {}
            aliases = tuple(aliases)
            with self._locked():
                self._clean_stale_staging()
                version = self._next_version()
                manifest = Manifest(
                    version=version,
                    kind=kind,
                    base_model=base_model,
                    data=dict(data or {}),
                    config=config,
                    config_hash=sha256_json(config) if config else "",
                    code_version=code_version(),
                    parent=parent,
                    run_dir=str(run_dir) if run_dir else None,
                    notes=notes,
                    extra=dict(extra or {}),
                    **manifest_fields,
                )
                existing = self._registered_like_locked(manifest) if reuse else None
                if existing is not None:
                    shutil.rmtree(staging, ignore_errors=True)
                    finished = self._finish_registration_locked(existing.version, aliases)
                else:
                    write_json(staging / MANIFEST_FILE, manifest.to_dict())
                    publish_dir(staging, self.version_dir(version))
                    for alias in aliases:
                        self._set_alias_locked(alias, version, action="register", reason=f"registered {version}")
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if out_of_space(exc):
                raise RegistryError(f"no space left on the device of {self.root} while registering {source}: "
                                    "nothing was registered and the aliases are unchanged; free space and "
                                    "run it again") from exc
            raise
        if existing is not None:
            logger.info("already registered as %s (%s, base %s); nothing was published%s", existing.version, kind,
                        base_model, f"; set its aliases: {', '.join(finished)}" if finished else "")
            if notes != existing.notes:
                logger.warning("%s keeps its own notes (%r); the new notes (%r) were not recorded: notes do not make "
                               "a version (set an alias to name it otherwise)", existing.version, existing.notes, notes)
            return Registration(existing, existing=True, aliases_set=tuple(finished))
        logger.info("registered %s (%s, base %s)", version, kind, base_model)
        return Registration(manifest, existing=False, aliases_set=aliases)

    def _registered_like_locked(self, new: Manifest) -> Manifest | None:
        """The oldest version with the same content and lineage as `new` (see `same_content`).
        A version whose manifest cannot be read is skipped (with a warning): it may be the
        one, so the registration then adds a version rather than fail."""
        for version in self.versions():
            try:
                manifest = self.get(version)
            except RegistryError as exc:
                logger.warning("cannot compare with %s: %s", version, exc)
                continue
            if same_content(manifest, new):
                return manifest
        return None

    def registered_from(self, run_dir: str | os.PathLike) -> Manifest | None:
        """The newest version registered from this run folder (`register(run_dir=...)`), if any."""
        wanted = str(Path(run_dir).resolve())
        found = [m for m in self.list() if m.run_dir == wanted]
        return found[-1] if found else None

    def finish_registration(self, version: str, aliases: Iterable[str] = ("candidate",)) -> list[str]:
        """Set the aliases `register` sets that the history shows were never set to `version` (the
        registering process was killed between publishing the version and setting them); returns them."""
        with self._locked():
            return self._finish_registration_locked(version, aliases)

    def _finish_registration_locked(self, version: str, aliases: Iterable[str]) -> list[str]:
        finished = []
        events = self._read_alias_state()["history"]
        for alias in aliases:
            if not any(e["alias"] == alias and e["to"] == version and e["action"] == "register" for e in events):
                self._set_alias_locked(alias, version, action="register", reason=f"registered {version}")
                finished.append(alias)
        return finished

    def set_alias(self, alias: str, reference: str, reason: str = "") -> str:
        check_settable(alias)
        with self._locked():
            version = self.version_of(reference)
            self._set_alias_locked(alias, version, action="alias", reason=reason)
        return version

    def promote(self, reference: str, reason: str = "", evidence: dict[str, Any] | None = None,
                also: Callable[[Manifest], None] | None = None) -> str:
        """Point `production` at a version and record the decision: the reason and the gate's
        evidence, in the alias history and in the version's promotions.

        The alias history is the commit point: the manifest's record (with `also`, a further
        change of the manifest made in the same write) follows it, and a promotion killed
        between the two is completed by `finish_promotion`, from the history alone."""
        if not reason.strip():
            raise RegistryError("a promotion needs a reason: it is recorded with the decision in the alias history")
        with self._locked():
            version = self.version_of(reference)
            previous = self._read_alias_state()["aliases"].get(PRODUCTION)
            event = {"time": _now(), "alias": PRODUCTION, "action": "promote", "from": previous, "to": version,
                     "reason": reason, "decision": evidence or {}}
            self._set_alias_locked(PRODUCTION, version, action="promote", reason=reason, decision=evidence or {},
                                   time=event["time"])
            self._record_promotion_locked(version, event, also)
        return version

    def unfinished_promotion(self, reference: str) -> dict[str, Any] | None:
        """The alias-history event of a promotion to this version that its manifest does not record
        (the promoting process was killed between the two writes), or None."""
        version = self.version_of(reference)
        events = self.history(PRODUCTION)
        if not events or events[-1].get("action") != "promote" or events[-1].get("to") != version:
            return None
        event = events[-1]
        recorded = any(p.get("time") == event.get("time") and p.get("to") == version
                       for p in self.get(version).promotions)
        return None if recorded else event

    def finish_promotion(self, reference: str,
                         also: Callable[[Manifest, dict[str, Any]], None] | None = None) -> dict[str, Any] | None:
        """Record in the manifest a promotion the alias history holds but the manifest lacks
        (see `promote`), with `also(manifest, evidence)` in the same write; returns its history
        event, or None when nothing was unfinished."""
        with self._locked():
            event = self.unfinished_promotion(reference)
            if event is not None:
                evidence = event.get("decision") or {}
                self._record_promotion_locked(event["to"], event, (lambda m: also(m, evidence)) if also else None)
        return event

    def _record_promotion_locked(self, version: str, event: dict[str, Any],
                                 also: Callable[[Manifest], None] | None) -> None:
        record = {"time": event["time"], "from": event["from"], "to": event["to"], "reason": event["reason"],
                  "evidence": event.get("decision") or {}}

        def change(manifest: Manifest) -> None:
            manifest.promotions.append(record)
            if also is not None:
                also(manifest)

        self._update_manifest_locked(version, change)

    def rollback(self, alias: str = "production", reason: str = "") -> str:
        """Return `alias` to the version it pointed at before its last change."""
        with self._locked():
            state = self._read_alias_state()
            stack = state["stacks"].get(alias, [])
            if alias not in state["aliases"]:
                raise RegistryError(f"alias {alias!r} is not set; nothing to roll back")
            if not stack:
                raise RegistryError(f"alias {alias!r} has no earlier version to roll back to")
            current = state["aliases"][alias]
            previous = stack.pop()
            state["aliases"][alias] = previous
            state["history"].append({"time": _now(), "alias": alias, "action": "rollback",
                                     "from": current, "to": previous, "reason": reason})
            self._write_alias_state(state)
        return previous

    def update_manifest(self, reference: str, change: Callable[[Manifest], None]) -> Manifest:
        """Apply `change` to a version's manifest and save it atomically, under the lock."""
        with self._locked():
            return self._update_manifest_locked(self.version_of(reference), change)

    def add_evaluation(self, reference: str, evaluation: dict[str, Any]) -> Manifest:
        return self.update_manifest(reference, lambda m: m.evaluations.append(evaluation))

    # ----- internals -----------------------------------------------------------------
    @contextmanager
    def _locked(self):
        try:
            with self._lock:
                yield
        except TimeoutError:
            raise RegistryError(f"the registry at {self.root} is locked by another process; try again") from None

    def _new_staging(self) -> Path:
        staging = self.versions_dir / f".staging-{os.getpid()}-{os.urandom(4).hex()}"
        staging.mkdir()
        return staging

    def _clean_stale_staging(self) -> None:
        for entry in self.versions_dir.glob(".staging-*"):
            try:
                pid = int(entry.name.split("-")[1])
            except (IndexError, ValueError):
                continue
            if pid != os.getpid() and not process_alive(pid):
                logger.info("removing %s, left by an interrupted registration", entry.name)
                shutil.rmtree(entry, ignore_errors=True)

    def _next_version(self) -> str:
        numbers = [int(p.name[1:]) for p in self.versions_dir.iterdir() if VERSION_PATTERN.match(p.name)]
        return f"v{(max(numbers) if numbers else 0) + 1:04d}"

    def _stage_files(self, staging: Path, source, kind: Kind, move: bool) -> dict[str, Any]:
        if kind == "embedded":
            if source is not None:
                raise RegistryError("an `embedded` version refers to the default model and takes no files")
            return {}
        if source is None:
            raise RegistryError(f"a {kind} version needs its files: pass a folder (or a .gguf file)")
        source = Path(source)
        if not source.exists():
            raise RegistryError(f"cannot register {source}: it does not exist")
        if kind == "gguf":
            if source.suffix != ".gguf" or not source.is_file():
                raise RegistryError(f"a gguf version needs a .gguf file, got {source}")
            (staging / "gguf").mkdir()
            target = staging / "gguf" / source.name
            (shutil.move if move else shutil.copy2)(source, target)
            digest = sha256_file(target)
            return {"gguf": [{"file": f"gguf/{source.name}", "quantization": "unknown", "sha256": digest}],
                    "files": {f"gguf/{source.name}": digest}}
        marker = "adapter_config.json" if kind == "adapter" else "config.json"
        if not (source / marker).is_file():
            raise RegistryError(f"cannot register {source} as {kind}: it has no {marker}")
        subdir = "adapter" if kind == "adapter" else "weights"
        target = staging / subdir
        if move:
            shutil.move(str(source), target)
        else:
            shutil.copytree(source, target)
        files = {f"{subdir}/{p.relative_to(target).as_posix()}": sha256_file(p)
                 for p in sorted(target.rglob("*")) if p.is_file()}
        return {subdir: subdir, "files": files}

    def _read_alias_state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.aliases_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            state = {}
        except json.JSONDecodeError as exc:
            raise RegistryError(f"{self.aliases_file} is corrupt ({exc}); restore it from history or remove it") from None
        state.setdefault("aliases", {})
        state.setdefault("stacks", {})
        state.setdefault("history", [])
        return state

    def _write_alias_state(self, state: dict[str, Any]) -> None:
        _remove_stale_temporaries(self.aliases_file)
        write_json(self.aliases_file, state)

    def _set_alias_locked(self, alias: str, version: str, action: str, reason: str,
                          decision: dict[str, Any] | None = None, time: str | None = None) -> None:
        if not ALIAS_PATTERN.match(alias) or VERSION_PATTERN.match(alias):
            raise RegistryError(f"invalid alias {alias!r}: use lower-case letters, digits, '-' or '_', not a version id")
        state = self._read_alias_state()
        current = state["aliases"].get(alias)
        if current == version:
            return
        if current is not None:
            state["stacks"].setdefault(alias, []).append(current)
        state["aliases"][alias] = version
        event = {"time": time or _now(), "alias": alias, "action": action, "from": current, "to": version,
                 "reason": reason}
        if decision is not None:
            event["decision"] = decision
        state["history"].append(event)
        self._write_alias_state(state)

    def _update_manifest_locked(self, version: str, change: Callable[[Manifest], None]) -> Manifest:
        manifest = self.get(version)
        change(manifest)
        _remove_stale_temporaries(self.version_dir(version) / MANIFEST_FILE)
        write_json(self.version_dir(version) / MANIFEST_FILE, manifest.to_dict())
        return manifest


def same_content(a: Manifest, b: Manifest) -> bool:
    """Whether two manifests record the same model: the same kind, the same files (by SHA-256),
    and the same lineage (base model, parent version, run folder, training data, config).
    Not compared: the version, times, the checkout's version, notes, evaluations,
    promotions, GGUF exports added later, and `extra`."""
    return (a.kind, a.base_model, a.files, a.parent, a.run_dir, a.data, a.config_hash) == \
        (b.kind, b.base_model, b.files, b.parent, b.run_dir, b.data, b.config_hash)


def check_settable(alias: str) -> None:
    """Refuse `production` as an alias to set by hand: it moves only by `promote` and `rollback`."""
    if alias == PRODUCTION:
        raise RegistryError("`production` moves only through the promotion gate, which records its decision: "
                            "run `safecoder promote VERSION` (or add `--force --reason TEXT`); "
                            "`safecoder registry rollback` undoes a promotion")


def _ordinary_modes(folder: Path) -> None:
    """Give copied files the modes the umask gives new ones (a 0600 source would otherwise
    stay unreadable to the serving account; see `safecoder.atomic` on permissions)."""
    mask = current_umask()
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        executable = path.is_dir() or path.stat().st_mode & 0o100
        path.chmod((0o777 if executable else 0o666) & ~mask)


def _remove_stale_temporaries(target: Path) -> None:
    """Remove the temporary siblings of `target` that a killed writer left (`safecoder.atomic` names
    them `.NAME.*.tmp`). Called under the registry lock, which every writer of these files holds,
    so none of them is being written."""
    for entry in target.parent.glob(f".{target.name}.*.tmp"):
        logger.info("removing %s, left by an interrupted write", entry)
        entry.unlink(missing_ok=True)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (it may be another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def packaged_base(base_model: str) -> str:
    """A manifest's base model as a stable reference.

    Manifests written before the packaged catalog recorded `default` for the embedded
    SmolLM2-135M; `default` now names the served default, so those records are read as
    the model they meant.
    """
    return "smollm2-135m" if base_model in ("default", "embedded") else base_model
