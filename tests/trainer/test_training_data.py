"""The split, oversampling by (CWE, language) pairs, and the data report, on the real shared data."""

import json
import logging
from collections import Counter
from dataclasses import dataclass

import pytest

from safecoder.data import DataFormatError, SecurityPair
from safecoder.trainer.sampling import oversample, split
from safecoder.trainer.training_data import (
    TrainingDataError,
    build_training_data,
    resolve_data_path,
)

from .conftest import tiny_run_config, write_jsonl


@dataclass(frozen=True)
class Labelled:
    name: str
    class_key: tuple


def test_the_split_is_reproducible_disjoint_and_ninety_ten():
    examples = list(range(421))
    train, validation = split(examples, 0.1, seed=7)
    assert len(validation) == 42 and sorted(train + validation) == examples
    assert split(examples, 0.1, seed=7) == (train, validation)
    assert split(examples, 0.1, seed=8)[1] != validation


def test_rare_classes_are_filled_up_to_k_with_evenly_spread_copies():
    pairs = [Labelled(f"a{i}", ("CWE-089", "python")) for i in range(3)]
    pairs += [Labelled(f"b{i}", ("CWE-079", "javascript")) for i in range(25)]
    result, counts = oversample(pairs, k=20, seed=0)
    assert counts == {("CWE-079", "javascript"): (25, 25), ("CWE-089", "python"): (3, 20)}
    per_pair = Counter(item.name for item in result)
    assert sorted(per_pair[f"a{i}"] for i in range(3)) == [6, 7, 7]
    assert all(per_pair[f"b{i}"] == 1 for i in range(25))
    assert result[:28] == pairs, "the originals come first, in order"


def test_classes_are_keyed_by_language_not_file_extension():
    c = SecurityPair(instruction="i", secure_code="a", vulnerable_code="b", cwe="cwe-787", language="x.c")
    cpp = SecurityPair(instruction="i", secure_code="c", vulnerable_code="d", cwe="787", language="y.cpp")
    assert c.class_key == cpp.class_key == ("CWE-787", "c")


def test_shared_paths_resolve_inside_the_shared_data(shared_data):
    assert resolve_data_path("shared:instructions/gpteacher").resolve() == (shared_data / "instructions/gpteacher").resolve()


def test_the_data_report_counts_what_was_left_out_and_why(tmp_path, tokenizer, shared_data, short_pairs,
                                                          short_instructions, caplog):
    """SVEN rows (no instruction) are left out with a warning; the report accounts for every record."""
    config = tiny_run_config(
        tmp_path, short_pairs[:6], short_instructions[:4], oversample_k=3, validation_fraction=0.2,
        security_pairs=[str(write_jsonl(tmp_path / "pairs.jsonl", short_pairs[:6])),
                        "shared:security_pairs/sven/val/cwe-089.jsonl"],
    )
    with caplog.at_level(logging.WARNING):
        data = build_training_data(config, tokenizer, show_progress=False)
    sven_rows = sum(1 for _ in open(shared_data / "security_pairs/sven/val/cwe-089.jsonl"))
    assert "collect instruct" in caplog.text
    pairs = data.report["security_pairs"]
    assert pairs["loaded"] == 6 + sven_rows
    assert pairs["dropped"] == {"no_instruction": sven_rows}
    assert pairs["kept"] == 6 and (pairs["train"], pairs["validation"]) == (5, 1)
    assert pairs["train_after_oversampling"] == 5 + sum(c["after"] - c["pairs"] for c in pairs["oversampled_classes"].values())
    rows = data.report["items"]["train_rows"]
    assert rows["secure"] == rows["vulnerable"] == pairs["train_after_oversampling"]
    assert rows["standard"] == data.report["standard_samples"]["train"] == 4
    assert len(data.train) == sum(rows.values()) and len(data.validation) == 2
    assert set(data.files) == {str((tmp_path / "pairs.jsonl").resolve()), str((tmp_path / "instructions.jsonl").resolve()),
                               str((shared_data / "security_pairs/sven/val/cwe-089.jsonl").resolve())}
    json.dumps(data.report)  # the report goes to data.json as it is


def test_malformed_rows_are_reported_or_stop_a_strict_run(tmp_path, tokenizer, short_pairs):
    pairs_file = write_jsonl(tmp_path / "with-bad-row.jsonl", short_pairs[:2])
    with open(pairs_file, "a") as handle:
        handle.write('{"func_src_before": "x"}\n')
    config = tiny_run_config(tmp_path, short_pairs[:2], [], security_pairs=[str(pairs_file)])
    data = build_training_data(config, tokenizer, show_progress=False)
    assert data.report["malformed_rows"] == 1 and "with-bad-row.jsonl:3" in data.report["malformed_row_examples"][0]
    strict = tiny_run_config(tmp_path, short_pairs[:2], [], security_pairs=[str(pairs_file)], strict_data=True)
    with pytest.raises(DataFormatError, match=r"with-bad-row\.jsonl:3"):
        build_training_data(strict, tokenizer, show_progress=False)


def test_a_run_without_any_usable_item_explains_itself(tmp_path, tokenizer, short_pairs):
    config = tiny_run_config(tmp_path, short_pairs[:2], [], max_length=16)
    with pytest.raises(TrainingDataError, match="no training item"):
        build_training_data(config, tokenizer, show_progress=False)


def test_variants_change_the_items(tmp_path, tokenizer, short_pairs, short_instructions):
    base = dict(pairs=short_pairs[:4], instructions=short_instructions[:2])
    without_ul = build_training_data(tiny_run_config(tmp_path, **base, unlikelihood=False), tokenizer, False)
    assert "vulnerable" not in without_ul.report["items"]["train_rows"]
    dpo = build_training_data(tiny_run_config(tmp_path, **base, objective="dpo"), tokenizer, False)
    assert sum(item.paired for item in dpo.train) == 4 and all(len(i.rows) == 2 for i in dpo.train if i.paired)
    plain = build_training_data(tiny_run_config(tmp_path, **base, security_data=False), tokenizer, False)
    assert plain.report["items"]["train_rows"] == {"standard": 2} and plain.report["security_pairs"]["loaded"] == 0
