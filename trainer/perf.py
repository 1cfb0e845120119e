"""`make bench-train`: tokens per second of SafeCoder training beside plain instruction tuning.

Both train the embedded model on the same padded batches (security programs and standard
samples from the shared data, collated once, taken in the same order), one optimizer
step per batch, with the same optimizer: plain instruction tuning is the stock
`transformers.Trainer` with next-token labels on every response token; SafeCoder
training is `SafeCoderTrainer` with its masked likelihood and unlikelihood. The methods
alternate, run by run, in one process, so they share the machine's load. Every step is
timed (from the end of the previous step, so fetching the batch and SafeCoder's
normalizer counts are included); a run's first step, which allocates the optimizer's
state, is left out. For each step the median over the rounds is taken, and tokens per
second is the steps' tokens over the sum of those medians. Compare the ratio, not the
absolute figures, which depend on the machine and its load. The goal: the security loss
costs at most 15% more time per token.

`--variants` adds the SVEN-adapted and localized DPO objectives (each runs the original
model too, so they cost more by design).

`--lora-last-layers N [N ...]` times the CPU recipe's main lever instead: SafeCoder
training of LoRA adapters (r=16, every linear layer) in the last N blocks of `--model`
(0: every block), each variant an adapter of its own on one shared base, alternating as
above; the ratio is to the first variant. For example, the recipe of the default code
model: `python -m safecoder.trainer.perf --model qwen2.5-coder-0.5b --lora-last-layers 0 8 4
--max-length 512 --steps 3 --rounds 2`.

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

LABELS = {"plain": "plain instruction tuning", "safecoder": "SafeCoder (NLL + unlikelihood)",
          "sven": "SVEN-adapted (+KL)", "dpo": "localized DPO (+KL)"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecoder.trainer.perf", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=16, help="security pairs from the shared data")
    parser.add_argument("--instructions", type=int, default=16, help="standard samples from the shared data")
    parser.add_argument("--batch-size", type=int, default=4, help="items per batch (one optimizer step each)")
    parser.add_argument("--max-length", type=int, default=320, help="longest sequence in tokens")
    parser.add_argument("--steps", type=int, default=6, help="optimizer steps per run (the first is not timed)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating runs of every method")
    parser.add_argument("--variants", action="store_true", help="also time the sven and dpo objectives")
    parser.add_argument("--model", default="smollm2-135m", help="model reference (default: the 135M model)")
    parser.add_argument("--lora-last-layers", type=int, nargs="+", default=None,
                        help="time SafeCoder training of LoRA in the last N blocks, for each N (0: every block)")
    args = parser.parse_args(argv)
    if args.steps < 2 or args.rounds < 1:
        parser.error("--steps must be at least 2 and --rounds at least 1")

    import logging

    from rich.console import Console
    from rich.table import Table
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    logging.getLogger("safecoder").setLevel(logging.WARNING)
    console = Console(width=120)
    if args.lora_last_layers:
        methods = [f"lora-{n}" for n in args.lora_last_layers]
        for n in args.lora_last_layers:
            LABELS[f"lora-{n}"] = f"SafeCoder, LoRA in {'every block' if n == 0 else f'the last {n} blocks'}"
    else:
        methods = ["plain", "safecoder"] + (["sven", "dpo"] if args.variants else [])
    # runs[method][round] = [(seconds, tokens) per timed step]
    runs: dict[str, list[list[tuple[float, int]]]] = {method: [] for method in methods}
    with tempfile.TemporaryDirectory(prefix="safecoder-bench-train-") as scratch:
        bench = _Bench(args, Path(scratch))
        for round_index in range(args.rounds):
            for method in methods:
                steps = bench.measure(method, steps=args.steps)
                runs[method].append(steps)
                rate = sum(t for _, t in steps) / sum(s for s, _ in steps)
                console.print(f"round {round_index + 1}/{args.rounds} {method:>9}: {rate:8.1f} tokens/s",
                              highlight=False)

    rates = {method: _rate(runs[method]) for method in methods}
    baseline = methods[0]
    table = Table(title=f"training throughput, {args.model} on {bench.device}, {bench.describe()}")
    for column in ("method", "timed steps", "tokens/step", "s/step (median)", "tokens/s", "time per token"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for method in methods:
        tokens, seconds = rates[method]
        steps = len(runs[method][0])
        table.add_row(LABELS[method], f"{steps} x {args.rounds}", f"{tokens / steps:.0f}", f"{seconds / steps:.2f}",
                      f"{tokens / seconds:.1f}", f"{_ratio(rates, method, baseline):.3f}x {baseline}")
    console.print(table)
    if args.lora_last_layers:
        return 0
    overhead = _ratio(rates, "safecoder") - 1
    verdict = "within" if overhead <= 0.15 else "above"
    console.print(f"SafeCoder's security loss costs {overhead:+.1%} time per token ({verdict} the 15% goal)",
                  highlight=False)
    return 0


def _rate(rounds: list[list[tuple[float, int]]]) -> tuple[int, float]:
    """(tokens, seconds): each step's tokens, and the median of its time over the rounds."""
    tokens = sum(t for _, t in rounds[0])
    seconds = sum(statistics.median(run[step][0] for run in rounds) for step in range(len(rounds[0])))
    return tokens, seconds


def _ratio(rates: dict[str, tuple[int, float]], method: str, baseline: str = "plain") -> float:
    """Time per token of `method` over that of `baseline` (plain instruction tuning)."""
    tokens, seconds = rates[method]
    plain_tokens, plain_seconds = rates[baseline]
    return (seconds / tokens) / (plain_seconds / plain_tokens)


class _Bench:
    """The embedded model and the batches every run trains on."""

    def __init__(self, args, scratch: Path):
        from safecoder.models import resolve
        from safecoder.models.loading import load_for_training, pick_device
        from safecoder.trainer.collator import SecurityCollator
        from safecoder.trainer.safecoder_config import SafeCoderConfig
        from safecoder.trainer.training_data import build_training_data

        self.args = args
        self.scratch = scratch
        self.resolved = resolve(args.model)
        self.device = pick_device()
        self.model, self.tokenizer = load_for_training(self.resolved)
        if args.lora_last_layers:
            self.model = _lora_variants(self.model, args.lora_last_layers)
        collator = SecurityCollator(self.tokenizer.pad_token_id)
        self.batches = {}
        # dpo keeps each pair's two programs in one item; the other objectives train them apart.
        for layout in ("safecoder", "dpo"):
            config = SafeCoderConfig(
                output_dir=str(scratch / layout), security_pairs=["shared:security_pairs/safecoder/train/sec-new-desc.jsonl"],
                instruction_data=["shared:instructions/gpteacher/codegen-instruct.json"], max_pairs=args.pairs,
                max_instructions=args.instructions, max_length=args.max_length, oversample_k=0,
                validation_fraction=0.0, objective=layout, use_cpu=self.device == "cpu", report_to="none",
            )
            items = build_training_data(config, self.tokenizer, show_progress=False).train
            random.Random(0).shuffle(items)
            self.batches[layout] = [collator(items[i:i + args.batch_size]) for i in range(0, len(items), args.batch_size)]
        self.reference = None

    def describe(self) -> str:
        batches = self.batches["safecoder"][:self.args.steps]
        tokens = sum(int(b["attention_mask"].sum()) for b in batches) / len(batches)
        return f"{self.args.batch_size} items/batch, ~{tokens:.0f} tokens/batch"

    def measure(self, method: str, steps: int) -> list[tuple[float, int]]:
        """(seconds, non-padding tokens) of each step of a run of `method`, its first step left out."""
        from transformers import Trainer, TrainerCallback
        from transformers.trainer_callback import PrinterCallback

        from safecoder.trainer.objective import LossSettings
        from safecoder.trainer.safecoder_config import SafeCoderConfig
        from safecoder.trainer.safecoder_trainer import SafeCoderTrainer

        if method.startswith("lora-"):
            self.model.set_adapter(method)  # only this variant's adapter runs and trains
        batches = self.batches["dpo" if method == "dpo" else "safecoder"]
        batches = [batches[i % len(batches)] for i in range(steps)]
        if method == "plain":
            batches = [_plain(batch) for batch in batches]

        class StepTimer(TrainerCallback):
            def __init__(self):
                self.marks = []

            def on_train_begin(self, args, state, control, **kwargs):
                self.marks.append(time.perf_counter())

            def on_step_end(self, args, state, control, **kwargs):
                self.marks.append(time.perf_counter())

        config = SafeCoderConfig(
            output_dir=str(self.scratch / "runs"), security_pairs=["unused"], max_steps=steps,
            per_device_train_batch_size=1, gradient_accumulation_steps=1, learning_rate=1e-5, logging_steps=10_000,
            save_strategy="no", report_to="none", disable_tqdm=True, use_cpu=self.device == "cpu",
            train_sampling_strategy="sequential",
        )
        timer = StepTimer()
        common: dict[str, Any] = dict(model=self.model, args=config, train_dataset=batches, data_collator=_first, callbacks=[timer])
        if method == "plain":
            trainer = Trainer(**common)
        else:
            objective = "safecoder" if method.startswith("lora-") else method
            if objective not in ("safecoder", "sven", "dpo", "simpo"):
                raise ValueError(f"method {method!r} is not plain, lora-N or a training objective")
            settings = LossSettings(objective=objective)
            trainer = SafeCoderTrainer(**common, loss_settings=settings, reference=self._reference(settings))
        trainer.remove_callback(PrinterCallback)
        trainer.train()
        durations = [after - before for before, after in zip(timer.marks, timer.marks[1:], strict=False)]
        tokens = [int(batch["attention_mask"].sum()) for batch in batches]
        return list(zip(durations, tokens, strict=True))[1:]

    def _reference(self, settings):
        if not settings.needs_reference:
            return None
        if self.reference is None:
            from safecoder.trainer.reference_model import ReferenceModel

            self.reference = ReferenceModel.load(self.resolved, "auto", use_adapter_switch=False)
        return self.reference


def _lora_variants(model, counts: list[int]):
    """One LoRA adapter per variant, named `lora-N`, on the same base model."""
    from peft import LoraConfig, get_peft_model

    from safecoder.trainer.run import _last_layers, _linear_module_names

    names = _linear_module_names(model)
    peft_model = None
    for count in counts:
        config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules=names, task_type="CAUSAL_LM",
                            layers_to_transform=_last_layers(model, count))
        if peft_model is None:
            peft_model = get_peft_model(model, config, adapter_name=f"lora-{count}")
        else:
            peft_model.add_adapter(f"lora-{count}", config)
    if peft_model is None:
        raise ValueError("no LoRA variant to make: give at least one layer count")
    return peft_model


def _first(items):
    (batch,) = items
    return batch


def _plain(batch):
    """The same batch for plain instruction tuning: every response token is a label."""
    response = batch["target_mask"] | batch["unchanged_mask"]
    labels = batch["input_ids"].masked_fill(~response, -100)
    return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"], "labels": labels}


if __name__ == "__main__":
    raise SystemExit(main())
