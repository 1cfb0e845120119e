"""SafeCoder's trainer: joint instruction tuning and security tuning on `transformers.Trainer`.

Modules, in the order data flows through them:
- `safecoder_config`: `SafeCoderConfig` (a `TrainingArguments` subclass) and its parser;
- `masks`, `examples`, `sampling`, `training_data`: records into masked token sequences,
  the split, oversampling, and the run's data report;
- `collator`, `losses`, `objective`: batches, the loss terms, and their combination;
- `reference`, `safecoder_trainer`: the original model's logits and the Trainer subclass;
- `run`, `run_folder`, `lineage`: one run end to end, its folder, its registry entry;
- `cli` (`safecoder train`), `bench` (`make bench-train`).

Importing this package imports neither torch nor transformers.
"""
