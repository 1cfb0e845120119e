"""`safecoder train --config FILE [overrides]`: one training run, from the command line.

Every option of `SafeCoderConfig` (SafeCoder's and `transformers.TrainingArguments`') is a
flag; `--config FILE.yaml` supplies values first and flags override them. `safecoder
train --help` lists them all. Registering the command imports nothing heavy; the
handler imports transformers and torch.

Several processes: `accelerate launch [--config_file configs/accelerate/ddp.yaml]
-m safecoder.trainer --config FILE` runs the same command in every process.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model with SafeCoder's security instruction tuning",
        description="Joint instruction tuning and security tuning (masked likelihood on secure programs, "
                    "unlikelihood on vulnerable ones), writing a run folder and registering a candidate. "
                    "Options: `safecoder train --help`.",
        # Every flag belongs to the training configuration's own parser: with `+` as its only
        # prefix, this parser hands all of them, `--help` included, to the handler.
        add_help=False,
        prefix_chars="+",
    )
    parser.add_argument("arguments", nargs="*",
                        help="--config FILE.yaml and any option of the training configuration")
    parser.set_defaults(handler=train)


def train(args: argparse.Namespace) -> int:
    arguments = list(args.arguments)
    from safecoder.trainer.safecoder_config import SafeCoderConfig, parse_config

    if not arguments or any(flag in arguments for flag in ("-h", "--help")):
        from transformers import HfArgumentParser
        from transformers.hf_argparser import DataClassType

        HfArgumentParser(DataClassType(SafeCoderConfig), prog="safecoder train").print_help()
        return 0 if arguments else 2
    config = parse_config(arguments)
    from safecoder.trainer.run import run_training

    result = run_training(config)
    if config.process_index == 0:
        _print_summary(result)
    return 0


def _print_summary(result) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="training run", show_header=False)
    table.add_row("run folder", str(result.output_dir))
    table.add_row("model", f"{result.final_dir} ({'LoRA adapter' if result.adapter else 'full weights'})")
    table.add_row("registry", result.registry_version or "not registered")
    train = result.metrics["train"]
    table.add_row("steps", str(result.metrics["global_step"]))
    loss = train.get("train_loss")
    table.add_row("train loss", f"{loss:.4f}" if loss is not None else f"unknown ({train.get('train_loss_note', '')})")
    if result.metrics["validation"]:
        table.add_row("validation loss", f"{result.metrics['validation'].get('eval_loss', float('nan')):.4f}")
    table.add_row("objective", f"{result.metrics['objective']} ({result.metrics['loss_normalization']})")
    Console().print(table)
