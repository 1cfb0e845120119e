"""`safecoder registry ...`: list, inspect, register, alias, promote and roll back versions.

`production` has one way in: the promotion gate. `safecoder registry promote` is
`safecoder promote` under a second name (the top-level CLI maps it, since the gate
belongs to the benchmarks stage, which the registry does not import); `alias` and
`register --alias` refuse `production`. Every move of `production` is in `history`,
with its reason and the gate's decision.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    registry = subparsers.add_parser("registry", help="model versions, aliases, promotion and rollback")
    commands = registry.add_subparsers(dest="registry_command", required=True)

    listing = commands.add_parser("list", help="all versions, with their aliases and latest results")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(handler=_list)

    show = commands.add_parser("show", help="a version's manifest (by version or alias)")
    show.add_argument("reference", help="a version (v0003) or an alias (production)")
    show.set_defaults(handler=_show)

    add = commands.add_parser(
        "register",
        help="add a version from weights, an adapter, a GGUF file, or a packaged model",
        description="Register a model version. SOURCE is a folder of transformers weights, a PEFT "
        "adapter folder, a .gguf file, or a packaged model (`default`, `qwen2.5-coder-0.5b`, `smollm2-135m`). The new version gets "
        "the `candidate` alias unless --alias says otherwise. Registering the same content again (the same files by "
        "SHA-256, base model, --data and --config) adds no version: it says which version holds it and sets the "
        "aliases that version's registration had not set (a registration killed half-way is finished this way); "
        "--notes do not make a new version.",
    )
    add.add_argument("source", help="weights folder, adapter folder, .gguf file, or a packaged model")
    add.add_argument("--base", default=None, help="the base model reference (required for an adapter without one)")
    add.add_argument("--notes", default="", help="free text kept in the manifest")
    add.add_argument("--alias", action="append", default=None, help="aliases to set (repeatable; default: candidate)")
    add.add_argument("--data", action="append", default=[], metavar="NAME=PATH",
                     help="a data file the model was trained on, recorded by hash (repeatable)")
    add.add_argument("--config", type=Path, default=None, help="a YAML or JSON config to record")
    add.set_defaults(handler=_register)

    alias = commands.add_parser("alias", help="point an alias at a version")
    alias.add_argument("alias")
    alias.add_argument("reference", help="a version or another alias")
    alias.add_argument("--reason", default="")
    alias.set_defaults(handler=_alias)

    # Listed for `safecoder registry --help`; `safecoder.cli.main` runs `registry promote ...`
    # as `promote ...`, so this parser never parses arguments itself.
    promote = commands.add_parser(
        "promote", add_help=False,
        help="move `production` through the promotion gate: the same command as `safecoder promote` "
             "(VERSION [--force --reason TEXT]; see `safecoder promote --help`)",
    )
    promote.set_defaults(handler=_promote_elsewhere)

    rollback = commands.add_parser("rollback", help="return an alias to its previous version")
    rollback.add_argument("alias", nargs="?", default="production")
    rollback.add_argument("--reason", default="")
    rollback.set_defaults(handler=_rollback)

    history = commands.add_parser("history", help="every alias change, oldest first")
    history.add_argument("alias", nargs="?", default=None)
    history.set_defaults(handler=_history)


def _registry():
    from safecoder.registry import Registry

    return Registry()


def _list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    registry = _registry()
    manifests = registry.list()
    aliases = registry.aliases()
    by_version: dict[str, list[str]] = {}
    for alias, version in aliases.items():
        by_version.setdefault(version, []).append(alias)
    if args.format == "json":
        print(json.dumps([{**m.to_dict(), "aliases": by_version.get(m.version, [])} for m in manifests], indent=2))
        return 0
    table = Table(title=f"Model registry ({registry.root})")
    for column in ("version", "aliases", "kind", "base model", "created", "evaluations", "notes"):
        table.add_column(column)
    for m in manifests:
        latest = m.latest_evaluation()
        summary = ", ".join(f"{k}={v}" for k, v in (latest or {}).get("summary", {}).items()) if latest else ""
        table.add_row(m.version, ", ".join(sorted(by_version.get(m.version, []))), m.kind, m.base_model,
                      m.created_at, summary, m.notes[:40])
    Console().print(table)
    return 0


def _show(args: argparse.Namespace) -> int:
    registry = _registry()
    manifest = registry.get(args.reference)
    data = manifest.to_dict()
    data["path"] = str(registry.version_dir(manifest.version))
    data["aliases"] = sorted(a for a, v in registry.aliases().items() if v == manifest.version)
    print(json.dumps(data, indent=2))
    return 0


def _register(args: argparse.Namespace) -> int:
    from safecoder.config import load_yaml
    from safecoder.errors import SafeCoderError
    from safecoder.hashing import sha256_tree
    from safecoder.registry.store import check_settable

    data = {}
    for item in args.data:
        name, _, path = item.partition("=")
        if not path:
            raise SafeCoderError(f"--data expects NAME=PATH, got {item!r}")
        data[name] = sha256_tree(path)
    config = load_yaml(args.config) if args.config else {}
    aliases = args.alias if args.alias is not None else ["candidate"]
    for alias in aliases:
        check_settable(alias)
    registry = _registry()
    from safecoder.models import packaged

    named = packaged.lookup(args.source)
    if named is not None:
        done = registry.register_once(None, kind="embedded", base_model=named.name, data=data, config=config,
                                      notes=args.notes, aliases=aliases)
    else:
        source = Path(args.source)
        if source.suffix == ".gguf":
            kind = "gguf"
        elif (source / "adapter_config.json").is_file():
            kind = "adapter"
        else:
            kind = "full"
        base = args.base
        if base is None:
            if kind == "adapter":
                from safecoder.models.reference import _adapter_base

                base = _adapter_base(source)
            else:
                base = str(source.resolve())
        done = registry.register_once(source, kind=kind, base_model=base, data=data, config=config,
                                      notes=args.notes, aliases=aliases)
    manifest = done.manifest
    if not done.existing:
        print(f"registered {manifest.version} ({manifest.kind}); aliases: {', '.join(aliases) or 'none'}")
        return 0
    # The same content and lineage is already a version (a rerun, or a run killed before
    # setting its aliases): nothing was published, the aliases it never got are set now.
    current = registry.aliases()
    earlier = [f"{a} (now {current[a]})" if current.get(a) != manifest.version else a
               for a in aliases if a not in done.aliases_set]
    print(f"already registered as {manifest.version} ({manifest.kind}); nothing was added; "
          f"aliases set now: {', '.join(done.aliases_set) or 'none'}"
          + (f"; set by its registration before: {', '.join(earlier)}" if earlier else ""))
    moved = [a for a in aliases if a not in done.aliases_set and current.get(a) != manifest.version]
    if moved:
        print(f"to point them at it again: {'; '.join(f'safecoder registry alias {a} {manifest.version}' for a in moved)}")
    return 0


def _alias(args: argparse.Namespace) -> int:
    version = _registry().set_alias(args.alias, args.reference, reason=args.reason)
    print(f"{args.alias} -> {version}")
    return 0


def _promote_elsewhere(args: argparse.Namespace) -> int:
    from safecoder.errors import SafeCoderError

    raise SafeCoderError("production moves through the promotion gate: run `safecoder promote VERSION` "
                         "(or add `--force --reason TEXT`)")


def _rollback(args: argparse.Namespace) -> int:
    version = _registry().rollback(args.alias, reason=args.reason)
    print(f"{args.alias} -> {version} (rolled back)")
    return 0


def _history(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Alias history")
    for column in ("time", "alias", "action", "from", "to", "gate", "reason"):
        table.add_column(column)
    for event in _registry().history(args.alias):
        table.add_row(event["time"], event["alias"], event["action"], event.get("from") or "-", event["to"],
                      _gate_outcome(event.get("decision")), event.get("reason", ""))
    Console().print(table)
    return 0


def _gate_outcome(decision: dict | None) -> str:
    """The promotion gate's verdict recorded with an alias change, in a word."""
    if not decision:
        return "-"
    if decision.get("forced"):
        return "forced"
    return "passed" if decision.get("passed") else "-"
