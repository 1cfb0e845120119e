"""The trainer's configuration: `transformers.TrainingArguments` plus SafeCoder's own fields.

`SafeCoderConfig` is a dataclass; every field has help text and is checked in
`__post_init__`. Its defaults are the paper's (AdamW with eps 1e-8 and weight decay 0.01,
not on biases and norms; a linear schedule without warm-up; learning rate 2e-5; 2
epochs; an effective batch of 16; gradient clipping at 1.0, once per optimizer step;
full fine-tuning, with LoRA r=16, alpha=32, dropout 0.1 on all linear layers as an
option for large models). Nothing is inferred from a model's name: a config says what
it wants.

The settings objects of the trainer's parts (`LossSettings`, `ExampleSettings`) declare
their fields with `option("name")`: the default is this config's, so every default is
declared once, here, with its help text, and `from_config` fills them by name.

`parse_config(argv)` reads `--config FILE.yaml` and the command-line flags with
`transformers.HfArgumentParser` (defaults < YAML < flags); unknown YAML keys and bad
values raise `TrainerConfigError` naming the option and the fix.

Not here: acting on the configuration (`safecoder.trainer.run`).
"""

import argparse
import dataclasses
import logging
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import yaml
from transformers import HfArgumentParser, TrainingArguments
from transformers.hf_argparser import DataClassType

from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)


class TrainerConfigError(SafeCoderError, ValueError):
    """A trainer option that is missing, unknown or out of range."""


@dataclass
class SafeCoderConfig(TrainingArguments):
    # ----- model -------------------------------------------------------------------
    model: str = field(default="default", metadata={
        "help": "Model to train: `default` (the embedded model), a folder of weights or a PEFT adapter, a "
                "registry version or alias, or a hub id."})
    model_dtype: Literal["auto", "float32", "bfloat16", "float16"] = field(default="auto", metadata={
        "help": "dtype the weights are loaded in; `auto` is float32 on a CPU, bfloat16 on a GPU that has it. "
                "For full fine-tuning on a GPU prefer float32 weights with --bf16 (mixed precision)."})
    use_lora: bool = field(default=False, metadata={
        "help": "Train a LoRA adapter instead of all weights (the paper does so for 7B models)."})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA scaling numerator (alpha / r scales the update)."})
    lora_dropout: float = field(default=0.1, metadata={"help": "Dropout on the LoRA input."})
    lora_target_modules: list[str] = field(default_factory=lambda: ["all-linear"], metadata={
        "help": "Modules that get LoRA layers; `all-linear` is every linear layer except the output head."})
    lora_last_layers: int = field(default=0, metadata={
        "help": "LoRA only in the last N transformer blocks (0: all). Nothing below them trains, so the backward "
                "pass stops at the lowest adapted block: the main lever for training on a CPU."})
    max_train_minutes: float = field(default=0.0, metadata={
        "help": "Training-time budget in minutes, summed over resumed sessions (0: none). When it runs out the "
                "run saves a checkpoint, stops, and finishes as usual; the run folder records it (budget.json)."})

    # ----- data --------------------------------------------------------------------
    security_pairs: list[str] = field(default_factory=list, metadata={
        "help": "Security pairs: files or folders in any format `safecoder.data` reads (SafeCoder JSONL, the "
                "paper's rows, SVEN rows). A path starting with `shared:` is taken inside the project's shared "
                "data folder."})
    instruction_data: list[str] = field(default_factory=list, metadata={
        "help": "Standard instruction data ({instruction, input, output|response} as JSON or JSONL): files or "
                "folders; `shared:` as for --security_pairs."})
    prompt_style: Literal["instruction", "chat"] = field(default="instruction", metadata={
        "help": "`instruction`: the paper's instruction template; `chat`: the model's chat template."})
    max_length: int = field(default=1024, metadata={
        "help": "Longest training sequence in tokens (prompt included); see --overlong_policy."})
    overlong_policy: Literal["drop", "truncate"] = field(default="drop", metadata={
        "help": "Sequences over --max_length: `drop` them (the paper) or `truncate` them; either way counted."})
    oversample_k: int = field(default=20, metadata={
        "help": "Fill every (CWE, language) class with fewer pairs up to this many with copies; 0 turns it "
                "off. The paper uses 20 with code instruction data and 40 with general chat data."})
    validation_fraction: float = field(default=0.1, metadata={
        "help": "Share of pairs and of standard samples held out for validation (split by --split_seed)."})
    split_seed: int = field(default=42, metadata={"help": "Seed of the validation split, the subsets and the copies."})
    max_pairs: int | None = field(default=None, metadata={
        "help": "Use at most this many security pairs (a seeded subset), e.g. for a quick run."})
    max_instructions: int | None = field(default=None, metadata={
        "help": "Use at most this many standard samples (a seeded subset); the paper used 33K."})
    strict_data: bool = field(default=False, metadata={
        "help": "Stop at the first malformed data row instead of leaving it out with a warning."})

    # ----- masks -------------------------------------------------------------------
    masks: bool = field(default=True, metadata={
        "help": "Train only the changed tokens of each program; --no_masks trains whole programs (ablation)."})
    diff_autojunk: bool = field(default=False, metadata={
        "help": "Use difflib's automatic junk heuristic in the token diff, as the paper's code did (marks "
                "about 10%% more tokens); off gives the exact diff."})
    mask_gap_fill: bool = field(default=True, metadata={
        "help": "Also mark a single unchanged token between two changed ones (the paper's code)."})
    cut_after_last_change: bool = field(default=True, metadata={
        "help": "End each security sequence after its last changed token (the paper's code); nothing after it "
                "carries a masked loss, but the KL terms see fewer tokens."})

    # ----- objective ---------------------------------------------------------------
    security_data: bool = field(default=True, metadata={
        "help": "Train on security pairs; --no_security_data is plain instruction tuning (the paper's "
                "`w/o SafeCoder` baseline)."})
    unlikelihood: bool = field(default=True, metadata={
        "help": "Train vulnerable programs with the unlikelihood loss; --no_unlikelihood leaves them out "
                "(ablation)."})
    objective: Literal["safecoder", "sven", "dpo", "simpo"] = field(default="safecoder", metadata={
        "help": "`safecoder`: NLL on secure, unlikelihood on vulnerable changed tokens (the paper); `sven`: "
                "the same plus a KL to the original model on unchanged tokens (SVEN-adapted); `dpo`/`simpo`: "
                "a preference loss on the changed tokens of each pair plus that KL (localized preference)."})
    loss_normalization: Literal["per_token", "per_sample"] = field(default="per_token", metadata={
        "help": "`per_token`: every trained token weighs the same; `per_sample`: the paper's code, each "
                "sample's mean loss weighs the same whatever its number of changed tokens."})
    security_loss_weight: float = field(default=1.0, metadata={
        "help": "Weight of the security terms (secure NLL and unlikelihood, or the preference loss)."})
    unlikelihood_clamp: float = field(default=1e-5, metadata={
        "help": "Lower bound on 1 - p in the unlikelihood loss, so it stays finite (the paper's code: 1e-5)."})
    kl_weight: float = field(default=1.6, metadata={
        "help": "w_KL: weight of the KL term of the sven, dpo and simpo objectives (the paper sweeps 2^n/10, "
                "n=1..8). Used as given: the paper's code divided its flag by 1000."})
    preference_beta: float = field(default=0.1, metadata={
        "help": "beta of the dpo and simpo objectives (DPO's usual 0.1; SimPO uses about 2.0)."})
    simpo_gamma: float = field(default=0.5, metadata={"help": "SimPO's target reward margin gamma."})

    # ----- outputs -----------------------------------------------------------------
    register: bool = field(default=True, metadata={
        "help": "Register the trained model in the registry as `candidate`; --no_register skips it."})
    registry_notes: str = field(default="", metadata={"help": "Free text stored with the registry version."})

    # ----- TrainingArguments defaults changed to the paper's ------------------------
    learning_rate: float = field(default=2e-5, metadata={"help": "Peak learning rate of AdamW (the paper: 2e-5)."})
    num_train_epochs: float = field(default=2.0, metadata={"help": "Epochs over the training items (the paper: 2)."})
    weight_decay: float = field(default=0.01, metadata={
        "help": "AdamW weight decay, not applied to biases and norm weights (the paper: 0.01)."})
    per_device_train_batch_size: int = field(default=1, metadata={
        "help": "Items per process and micro-step; a batch mixes standard samples and security programs."})
    gradient_accumulation_steps: int = field(default=16, metadata={
        "help": "Micro-steps per optimizer step; effective batch = this x batch size x processes (the paper: 16)."})
    logging_steps: float = field(default=10, metadata={"help": "Log every this many optimizer steps."})
    # Same type, in the same order, as TrainingArguments': HfArgumentParser depends on it.
    report_to: None | str | list[str] = field(default="tensorboard", metadata={  # noqa: RUF036
        "help": "Where metrics go besides the run folder (`tensorboard`, `none`, ...)."})
    remove_unused_columns: bool = field(default=False, metadata={
        "help": "Kept False: the collator's masks are not model inputs."})
    save_strategy: str = field(default="epoch", metadata={
        "help": "When checkpoints (for --resume_from_checkpoint) are written: `steps`, `epoch` or `no`."})
    resume_from_checkpoint: str | None = field(default=None, metadata={
        "help": "Continue an interrupted run: a checkpoint folder, or `latest` for the newest one in --output_dir."})

    def __post_init__(self) -> None:
        if self.output_dir is None:
            raise TrainerConfigError("--output_dir is required: the run folder that receives checkpoints, "
                                     "the final model and the run's provenance")
        self.security_pairs = _as_list(self.security_pairs)
        self.instruction_data = _as_list(self.instruction_data)
        self.lora_target_modules = _as_list(self.lora_target_modules)
        _check_choices(self)
        self._check_values()
        if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not self.use_cpu and not _cuda_available():
            # Without this the processes would each train alone (accelerate sees no device to share).
            logger.info("no GPU: the %s processes train on the CPU (gloo)", os.environ["WORLD_SIZE"])
            self.use_cpu = True
        try:
            super().__post_init__()
        except ValueError as exc:
            raise TrainerConfigError(f"invalid training arguments: {exc}") from None

    def _check_values(self) -> None:
        checks = [
            (bool(self.model.strip()), "--model is empty: use `default`, a path, a registry version or a hub id"),
            (self.security_pairs or not self.security_data,
             "no --security_pairs given: pass pair files or folders, or --no_security_data for plain "
             "instruction tuning"),
            (self.instruction_data or self.security_data,
             "nothing to train on: --no_security_data needs --instruction_data"),
            (self.security_data or self.objective == "safecoder",
             f"--objective {self.objective} trains on security pairs; it cannot be combined with "
             "--no_security_data"),
            (self.unlikelihood or self.objective in ("safecoder", "sven"),
             "--no_unlikelihood applies to the safecoder and sven objectives only"),
            (self.max_length >= 16, f"--max_length {self.max_length} is too short: use at least 16 tokens"),
            (self.oversample_k >= 0, f"--oversample_k must be 0 (off) or positive, got {self.oversample_k}"),
            (0 <= self.validation_fraction < 1,
             f"--validation_fraction must be in [0, 1), got {self.validation_fraction}"),
            (self.max_pairs is None or self.max_pairs > 0, "--max_pairs must be positive"),
            (self.max_instructions is None or self.max_instructions > 0, "--max_instructions must be positive"),
            (self.security_loss_weight >= 0, "--security_loss_weight must not be negative"),
            (0 < self.unlikelihood_clamp < 0.5,
             f"--unlikelihood_clamp must be in (0, 0.5), got {self.unlikelihood_clamp}"),
            (self.kl_weight >= 0, f"--kl_weight must not be negative, got {self.kl_weight}"),
            (self.preference_beta > 0, f"--preference_beta must be positive, got {self.preference_beta}"),
            (self.lora_r > 0 and self.lora_alpha > 0, "--lora_r and --lora_alpha must be positive"),
            (0 <= self.lora_dropout < 1, f"--lora_dropout must be in [0, 1), got {self.lora_dropout}"),
            (self.lora_last_layers >= 0, f"--lora_last_layers must be 0 (all) or positive, got {self.lora_last_layers}"),
            (self.lora_last_layers == 0 or self.use_lora, "--lora_last_layers needs --use_lora"),
            (self.max_train_minutes >= 0, f"--max_train_minutes must be 0 (none) or positive, got {self.max_train_minutes}"),
        ]
        for ok, message in checks:
            if not ok:
                raise TrainerConfigError(message)


if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Settings = TypeVar("Settings", bound="DataclassInstance")


def option(name: str) -> Any:
    """A settings field that is the config's option `name`, with the config's default (declared once)."""
    declared = SafeCoderConfig.__dataclass_fields__[name]
    if declared.default is dataclasses.MISSING:
        raise TypeError(f"SafeCoderConfig.{name} has no plain default to share")
    return field(default=declared.default, metadata={"config_option": name})


def settings_from(settings_class: type[Settings], config: SafeCoderConfig) -> Settings:
    """`settings_class` filled from the config: each field from the option it names (see `option`)."""
    return settings_class(**{f.name: getattr(config, f.metadata["config_option"])
                             for f in dataclasses.fields(settings_class)})


def parse_config(argv: list[str]) -> SafeCoderConfig:
    """The config from `--config FILE.yaml` (optional) and flags; flags win over the file."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config", type=Path, default=None)
    known, rest = pre.parse_known_args(argv)
    parser = HfArgumentParser(DataClassType(SafeCoderConfig))
    if known.config is not None:
        parser.set_defaults(**load_config_file(known.config))
    try:
        (config,) = parser.parse_args_into_dataclasses(rest, look_for_args_file=False)
    except TrainerConfigError:
        raise
    except ValueError as exc:
        raise TrainerConfigError(str(exc)) from None
    return config


def load_config_file(path: str | os.PathLike) -> dict:
    """A YAML mapping of option values; unknown options are an error that lists the known ones."""
    path = Path(path)
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise TrainerConfigError(f"config file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise TrainerConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(values, dict):
        raise TrainerConfigError(f"config file {path} must hold a mapping of option names to values")
    values = {str(key).replace("-", "_"): value for key, value in values.items()}
    known = {f.name for f in dataclasses.fields(SafeCoderConfig) if f.init}
    unknown = sorted(set(values) - known)
    if unknown:
        raise TrainerConfigError(f"config file {path}: unknown options {unknown}; "
                                 "`safecoder train --help` lists the options")
    return values


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, (list, tuple)) else [str(value)]


def _check_choices(config: SafeCoderConfig) -> None:
    """Literal-typed fields hold one of their choices (YAML values skip argparse's check)."""
    hints = typing.get_type_hints(SafeCoderConfig)
    own = {f.name for f in dataclasses.fields(SafeCoderConfig)} - {f.name for f in dataclasses.fields(TrainingArguments)}
    for name in sorted(own):
        if typing.get_origin(hints[name]) is Literal:
            choices = typing.get_args(hints[name])
            if getattr(config, name) not in choices:
                raise TrainerConfigError(f"--{name} must be one of {list(choices)}, got {getattr(config, name)!r}")


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
