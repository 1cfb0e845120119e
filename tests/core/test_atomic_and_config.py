import argparse
import dataclasses
from pathlib import Path
from typing import Literal

import pytest

from safecoder import atomic, config


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.json"
    atomic.write_json(target, {"version": 1})
    with pytest.raises(RuntimeError):
        with atomic.atomic_open(target) as handle:
            handle.write('{"version": 2, "half')
            raise RuntimeError("killed mid-write")
    assert target.read_text().strip() == '{\n  "version": 1\n}'
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"], "no temporary file is left behind"


def test_publish_dir_refuses_to_overwrite(tmp_path):
    staging = atomic.staging_dir(tmp_path / "target")
    (staging / "a").write_text("x")
    atomic.publish_dir(staging, tmp_path / "target")
    other = atomic.staging_dir(tmp_path / "target")
    with pytest.raises(FileExistsError):
        atomic.publish_dir(other, tmp_path / "target")
    assert atomic.remove_stale_staging(tmp_path) == [other]


@dataclasses.dataclass
class ExampleConfig:
    model: str = dataclasses.field(default="default", metadata={"help": "model reference"})
    max_new_tokens: int = dataclasses.field(default=256, metadata={"help": "tokens per sample"})
    temperature: float = 0.4
    engine: Literal["auto", "transformers"] = "auto"
    dedupe: bool = True
    stop: tuple[str, ...] = ()
    out: Path | None = None

    def __post_init__(self):
        if self.max_new_tokens < 1:
            raise config.ConfigError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")


def parse(argv):
    parser = argparse.ArgumentParser()
    config.add_arguments(parser, ExampleConfig)
    return parser.parse_args(argv)


def test_defaults_then_yaml_then_flags(tmp_path):
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text('max-new-tokens: 64\ntemperature: 0.2\nstop: ["\\n\\n"]\n')
    built = config.build(ExampleConfig, parse(["--config", str(yaml_file), "--temperature", "0.7", "--no-dedupe"]))
    assert built.max_new_tokens == 64 and built.temperature == 0.7 and built.dedupe is False
    assert built.stop == ("\n\n",) and built.model == "default"
    assert config.to_dict(built)["stop"] == ["\n\n"]


def test_unknown_yaml_keys_and_invalid_values_are_named(tmp_path):
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("max_new_token: 64\n")
    with pytest.raises(config.ConfigError, match=r"unknown options \['max_new_token'\]"):
        config.build(ExampleConfig, parse(["--config", str(yaml_file)]))
    with pytest.raises(config.ConfigError, match="max_new_tokens must be at least 1, got 0"):
        config.build(ExampleConfig, parse(["--max-new-tokens", "0"]))
    with pytest.raises(SystemExit):
        parse(["--engine", "vllm2"])
