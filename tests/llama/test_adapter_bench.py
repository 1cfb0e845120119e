"""`make bench-adapter` on the 135M model: every serving path loads, generates and is reported.

One round with short completions (the figures themselves are the benchmark's to print,
not this test's to judge); what is asserted is what the table's reader relies on: the
runtime LoRA is the reference of the same-text column, the merged GGUF is really a
separate, larger-than-nothing file, and the adapter changes what the base writes.
"""

from __future__ import annotations

import json

import pytest

from safecoder import paths
from safecoder.models import adapter_bench

pytestmark = pytest.mark.slow


def test_every_serving_path_is_measured_and_reported(small_lora_adapter, capsys):
    before = set((paths.home() / "bench").glob("adapter-serving-*.json"))
    assert adapter_bench.main(["--adapter", str(small_lora_adapter), "--merged", "q8_0", "--rounds", "1",
                               "--max-tokens", "8", "--long-prompt-tokens", "200"]) == 0
    written = sorted(set((paths.home() / "bench").glob("adapter-serving-*.json")) - before)
    assert len(written) == 1
    rows = {row["label"]: row for row in json.loads(written[0].read_text())["rows"]}
    assert list(rows) == ["base (no adapter)", "runtime LoRA", "merged q8_0"]
    assert rows["runtime LoRA"]["same_text_as_runtime_lora"] == 1.0
    assert rows["base (no adapter)"]["same_text_as_runtime_lora"] < 1.0, "the adapter changed nothing"
    assert rows["merged q8_0"]["gguf"] and rows["merged q8_0"]["gguf_bytes"] > 50_000_000
    for row in rows.values():
        assert row["single_tps_median"] > 0 and row["concurrent_tps_median"] > 0 and row["prefill_tps_median"] > 0
    assert "Serving the adapter on llama.cpp" in capsys.readouterr().out
