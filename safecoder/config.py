"""Configuration as dataclasses, with a YAML file and command-line flags on top.

Each configurable part declares a dataclass whose fields carry `metadata={"help": ...}`
and validate themselves in `__post_init__`. `add_arguments` turns the fields into flags
(`max_new_tokens` -> `--max-new-tokens`); `build` merges, in rising priority, the
dataclass defaults, a `--config FILE.yaml`, and the flags actually given. The parsed
argparse namespace stays inside the command's `main`; only the dataclass travels on.

The trainer's configuration extends `transformers.TrainingArguments` and is parsed by
`transformers.HfArgumentParser` the same way; this module serves everything else.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from safecoder.errors import SafeCoderError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Config = TypeVar("Config", bound="DataclassInstance")


class ConfigError(SafeCoderError, ValueError):
    """A configuration value that is missing, unknown or out of range."""


def add_arguments(parser: argparse.ArgumentParser, config_cls: type, with_config_file: bool = True) -> None:
    """Add one flag per dataclass field; unset flags stay out of the namespace."""
    if with_config_file:
        parser.add_argument("--config", type=Path, default=None, help="YAML file with values for the options below")
    hints = typing.get_type_hints(config_cls)
    for field in dataclasses.fields(config_cls):
        if not field.init or field.metadata.get("cli") is False:
            continue
        flag = "--" + field.name.replace("_", "-")
        kind, choices, is_list = _field_type(hints[field.name])
        default = _default_of(field)
        help_text = field.metadata.get("help", "")
        if default is not dataclasses.MISSING:
            help_text = f"{help_text} (default: {default!r})" if help_text else f"default: {default!r}"
        # argparse formats help with %: a literal one ("95% of it") is written %%.
        kwargs: dict[str, Any] = {"dest": field.name, "default": argparse.SUPPRESS,
                                  "help": help_text.replace("%", "%%")}
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = kind
            if choices:
                kwargs["choices"] = choices
            if is_list:
                kwargs["nargs"] = "+"
        parser.add_argument(flag, **kwargs)


def build(config_cls: type[Config], namespace: argparse.Namespace | None = None,
          config_file: str | os.PathLike | None = None, **overrides: Any) -> Config:
    """The dataclass from defaults < YAML file < flags given < keyword overrides."""
    values: dict[str, Any] = {}
    config_file = config_file or (getattr(namespace, "config", None) if namespace else None)
    if config_file:
        values.update(load_yaml(config_file, config_cls))
    if namespace is not None:
        names = {f.name for f in dataclasses.fields(config_cls)}
        values.update({key: value for key, value in vars(namespace).items() if key in names})
    values.update(overrides)
    hints = typing.get_type_hints(config_cls)
    for name, value in list(values.items()):
        _, _, is_list = _field_type(hints[name])
        if is_list and isinstance(value, list):
            values[name] = tuple(value) if _is_tuple(hints[name]) else value
    try:
        return config_cls(**values)
    except TypeError as exc:
        raise ConfigError(f"invalid {config_cls.__name__}: {exc}") from None


def load_yaml(path: str | os.PathLike, config_cls: type | None = None) -> dict[str, Any]:
    """A YAML mapping of option values; unknown keys are an error naming them."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of option names to values")
    data = {key.replace("-", "_"): value for key, value in data.items()}
    if config_cls is not None:
        known = {f.name for f in dataclasses.fields(config_cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"config file {path}: unknown options {unknown}; known options are {sorted(known)}")
    return data


def to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a config dataclass (paths as strings), for provenance."""
    def convert(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value
    return {f.name: convert(getattr(config, f.name)) for f in dataclasses.fields(config)}


def _default_of(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _is_tuple(hint: Any) -> bool:
    return typing.get_origin(hint) is tuple


def _field_type(hint: Any) -> tuple[Any, list | None, bool]:
    """(scalar type for argparse, choices, is a list) for a field's annotation."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _field_type(args[0])
    if origin is typing.Literal:
        choices = list(typing.get_args(hint))
        return type(choices[0]), choices, False
    if origin in (list, tuple):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        inner, choices, _ = _field_type(args[0]) if args else (str, None, False)
        return inner, choices, True
    if hint is Path:
        return Path, None, False
    if hint in (int, float, str, bool):
        return hint, None, False
    return str, None, False
