#!/usr/bin/env bash
# `make rebuild-model`: rebuild the shipped SafeCoder model from the shared data alone.
#
# 1. a registry of its own (REBUILD_DIR/registry), so the user's registry is not touched;
# 2. the untuned base registered and measured by the promotion gate: it becomes that
#    registry's `production`, the baseline the rebuilt model must beat;
# 3. recipe v3 trained (configs/cpu-qwen2.5-coder-0.5b-v3.yaml; registered as `candidate`);
# 4. the gate: security not lower, pass@1 within 2 points, answer rate held;
# 5. only if it passed, the adapter shipped (float16) with its manifest into
#    safecoder/models/shipped/ (git diff shows what changed).
#
# Every step resumes where it stopped (registration is idempotent, training resumes from
# its last checkpoint, the benchmarks from their cached samples), so run it again after an
# interruption. On this 2-core machine: 90 min of training (the recipe's budget: 45 of its
# 46 steps where it was made; a faster machine runs all 46) and about 2 h of gate per
# model (see docs/first-model.md). A failed gate stops here and ships nothing.
set -euo pipefail
BIN=${BIN:-.venv/bin}
OUT=${REBUILD_DIR:-runs/rebuild}
NAME=${SHIPPED_NAME:-safecoder-qwen2.5-coder-0.5b}
export SAFECODER_REGISTRY="$OUT/registry"
safecoder() { "$BIN/safecoder" "$@"; }

safecoder registry register qwen2.5-coder-0.5b --alias baseline --notes "the untuned base: the rebuild's baseline"
if ! safecoder registry show production >/dev/null 2>&1; then
  safecoder promote baseline --config configs/bench/cpu-suite.yaml --engine llama --allow-code-execution \
    --run-root "$OUT/bench"
fi
safecoder train --config configs/cpu-qwen2.5-coder-0.5b-v3.yaml --output_dir "$OUT/train"
safecoder promote candidate --config configs/bench/cpu-suite.yaml --engine llama --allow-code-execution \
  --run-root "$OUT/bench"
safecoder model ship candidate --name "$NAME" --rebuild "make rebuild-model"
