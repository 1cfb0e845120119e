"""`make bench-train`: tokens per second of SafeCoder training beside plain instruction tuning.

Both train the embedded model on the same padded batches (security programs and standard
samples from the shared data, collated once), one optimizer step per batch, with the
same optimizer: plain instruction tuning is the stock `transformers.Trainer` with
next-token labels on every response token; SafeCoder training is `SafeCoderTrainer`
with its masked likelihood and unlikelihood. The two alternate for several rounds in one
process, so they see the same machine load; the table shows each round's median and
the ratio, which is what to compare (absolute figures depend on the machine). The goal:
the security loss costs at most 15% more per token.

`--variants` adds the SVEN-adapted and localized DPO objectives (each runs the original
model too, so they cost more by design).

Not a test: it asserts nothing and prints a table.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecoder.trainer.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=16, help="security pairs from the shared data")
    parser.add_argument("--instructions", type=int, default=16, help="standard samples from the shared data")
    parser.add_argument("--batch-size", type=int, default=4, help="items per batch (one optimizer step each)")
    parser.add_argument("--max-length", type=int, default=320, help="longest sequence in tokens")
    parser.add_argument("--steps", type=int, default=8, help="batches per measured run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of every method")
    parser.add_argument("--variants", action="store_true", help="also time the sven and dpo objectives")
    args = parser.parse_args(argv)

    import logging

    from rich.console import Console
    from rich.table import Table
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    logging.getLogger("safecoder").setLevel(logging.WARNING)
    console = Console()
    with tempfile.TemporaryDirectory(prefix="safecoder-bench-train-") as scratch:
        bench = _Bench(args, Path(scratch), console)
        methods = ["plain", "safecoder"] + (["sven", "dpo"] if args.variants else [])
        bench.measure("plain", steps=1)  # warm-up: thread pools, allocator, first-call costs
        bench.measure("safecoder", steps=1)
        results: dict[str, list[tuple[float, int]]] = {method: [] for method in methods}
        for round_index in range(args.rounds):
            for method in methods:
                seconds, tokens = bench.measure(method, steps=args.steps)
                results[method].append((seconds, tokens))
                console.print(f"round {round_index + 1}/{args.rounds} {method:>9}: {tokens / seconds:8.1f} tokens/s",
                              highlight=False)

    table = Table(title=f"training throughput, embedded model, {bench.describe()}")
    for column in ("method", "steps", "tokens/run", "s/run (median)", "tokens/s (median)", "vs plain"):
        table.add_column(column, justify="right" if column != "method" else "left")
    plain_rate = statistics.median(tokens / seconds for seconds, tokens in results["plain"])
    labels = {"plain": "plain instruction tuning", "safecoder": "SafeCoder (NLL + unlikelihood)",
              "sven": "SVEN-adapted (+KL)", "dpo": "localized DPO (+KL)"}
    for method in methods:
        rate = statistics.median(tokens / seconds for seconds, tokens in results[method])
        seconds = statistics.median(seconds for seconds, _ in results[method])
        table.add_row(labels[method], str(args.steps), str(results[method][0][1]), f"{seconds:.1f}",
                      f"{rate:.1f}", f"{plain_rate / rate:.3f}x time/token")
    console.print(table)
    overhead = plain_rate / statistics.median(t / s for s, t in results["safecoder"]) - 1
    verdict = "within" if overhead <= 0.15 else "above"
    console.print(f"SafeCoder's security loss costs {overhead:+.1%} time per token ({verdict} the 15% goal)",
                  highlight=False)
    return 0


class _Bench:
    """The shared data, batches and model of one benchmark run."""

    def __init__(self, args, scratch: Path, console):
        from safecoder.trainer.collator import SecurityCollator
        from safecoder.trainer.safecoder_config import SafeCoderConfig
        from safecoder.trainer.training_data import build_training_data

        from safecoder.models import resolve
        from safecoder.models.loading import load_for_training

        self.args = args
        self.scratch = scratch
        resolved = resolve("default")
        self.resolved = resolved
        self.model, self.tokenizer = load_for_training(resolved)
        configs = {}
        for method in ("safecoder", "dpo"):
            configs[method] = SafeCoderConfig(
                output_dir=str(scratch / method), security_pairs=["shared:security_pairs/safecoder/train/sec-new-desc.jsonl"],
                instruction_data=["shared:instructions/gpteacher/codegen-instruct.json"], max_pairs=args.pairs * 3,
                max_instructions=args.instructions, max_length=args.max_length, oversample_k=0,
                validation_fraction=0.0, objective=method, use_cpu=True,
            )
        collator = SecurityCollator(self.tokenizer.pad_token_id)
        self.batches = {}
        for method, config in configs.items():
            data = build_training_data(config, self.tokenizer, show_progress=False)
            items = data.train
            random.Random(0).shuffle(items)
            self.batches[method] = [collator(items[i:i + args.batch_size]) for i in range(0, len(items), args.batch_size)]
        self.console = console
        self.reference = None

    def describe(self) -> str:
        batches = self.batches["safecoder"]
        tokens = sum(int(b["attention_mask"].sum()) for b in batches) / len(batches)
        return f"{self.args.batch_size} items/batch, ~{tokens:.0f} tokens/batch"

    def measure(self, method: str, steps: int) -> tuple[float, int]:
        """(seconds, non-padding tokens) of `steps` optimizer steps of `method`."""
        from safecoder.trainer.objective import LossSettings
        from safecoder.trainer.safecoder_config import SafeCoderConfig
        from safecoder.trainer.safecoder_trainer import SafeCoderTrainer
        from torch.utils.data import Dataset
        from transformers import Trainer

        batches = self.batches["dpo" if method == "dpo" else "safecoder"]
        batches = [batches[i % len(batches)] for i in range(steps)]
        if method == "plain":
            batches = [_plain(batch) for batch in batches]

        class Batches(Dataset):
            def __len__(self):
                return len(batches)

            def __getitem__(self, index):
                return batches[index]

        config = SafeCoderConfig(
            output_dir=str(self.scratch / "runs"), security_pairs=["unused"], max_steps=steps,
            per_device_train_batch_size=1, gradient_accumulation_steps=1, learning_rate=1e-5, logging_steps=10_000,
            save_strategy="no", report_to="none", disable_tqdm=True, use_cpu=True, objective="safecoder" if method == "plain" else method,
        )
        common = dict(model=self.model, args=config, train_dataset=Batches(), data_collator=_first)
        if method == "plain":
            trainer = Trainer(**common)
        else:
            settings = LossSettings(objective=method)
            trainer = SafeCoderTrainer(**common, loss_settings=settings, reference=self._reference(settings))
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
        return seconds, sum(int(batch["attention_mask"].sum()) for batch in batches)

    def _reference(self, settings):
        if not settings.needs_reference:
            return None
        if self.reference is None:
            from safecoder.trainer.reference import ReferenceModel

            self.reference = ReferenceModel.load(self.resolved, "auto", use_adapter_switch=False)
        return self.reference


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
