import json

import pytest

from safecoder.data import (
    DataFormatError,
    InstructionSample,
    SecurityPair,
    load_instructions,
    load_records,
    load_scenarios,
    load_security_pairs,
)
from safecoder.data.jsonl import write_records


def test_shared_security_pairs_load_with_their_counts(shared_data):
    root = shared_data / "security_pairs"
    counts = {
        "safecoder/train/sec-new-desc.jsonl": 421,
        "safecoder/val/sec-new-desc.jsonl": 44,
        "safecoder/val/sec-desc.jsonl": 83,
        "sven/train": 720,
        "sven/val": 83,
    }
    for relative, expected in counts.items():
        result = load_security_pairs(root / relative, strict=True)
        assert len(result.records) == expected, relative
        assert not result.errors


def test_paper_rows_carry_instruction_and_provenance(shared_data):
    pairs = load_security_pairs(shared_data / "security_pairs/safecoder/train/sec-new-desc.jsonl").records
    assert all(p.has_instruction for p in pairs)
    first = pairs[0]
    assert first.cwe == "CWE-338" and first.language == "javascript"
    assert first.provenance.repository == "https://github.com/Musare/Musare"
    assert len(first.provenance.commit) == 40
    assert "crypto.getRandomValues" in first.secure_code and "Math.random" in first.vulnerable_code


def test_sven_rows_have_no_instruction_and_cover_python_and_c(shared_data):
    pairs = load_security_pairs(shared_data / "security_pairs/sven/train").records
    assert not any(p.has_instruction for p in pairs)
    assert {p.language for p in pairs} == {"python", "c"}
    assert len({p.cwe for p in pairs}) == 9


def test_sven_change_fields_as_python_literal_strings_are_parsed(tmp_path):
    row = {
        "func_name": "f", "func_src_before": "def f(x):\n    os.system(x)\n",
        "func_src_after": "def f(x):\n    subprocess.run([x])\n", "vul_type": "cwe-078",
        "file_name": "a/b.py", "commit_link": "github.com/o/r/commit/abc",
        "line_changes": "{'deleted': [{'line_no': 2, 'line': '    os.system(x)\\n'}], 'added': []}",
        "char_changes": "{'deleted': [], 'added': [{'char_start': 14, 'char_end': 30, 'chars': 'subprocess'}]}",
    }
    path = tmp_path / "cwe-078.jsonl"
    path.write_text(json.dumps(row) + "\n")
    pair = load_security_pairs(path, strict=True).records[0]
    assert pair.provenance.extra["line_changes"]["deleted"][0]["line_no"] == 2
    assert pair.provenance.extra["char_changes"]["added"][0]["chars"] == "subprocess"
    assert pair.provenance.commit == "abc"


def test_gpteacher_json_list_loads_as_instructions(shared_data):
    samples = load_instructions(shared_data / "instructions/gpteacher/codegen-instruct.json", strict=True).records
    assert len(samples) == 4535
    assert all(isinstance(s, InstructionSample) and s.output for s in samples)
    assert any(s.input for s in samples) and any(not s.input for s in samples)


def test_malformed_rows_are_reported_with_file_line_and_reason(tmp_path):
    good = {"instruction": "Add two numbers.", "input": "", "output": "def add(a, b):\n    return a + b"}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"instruction": "x", "output": 5}),
        json.dumps({"question": "what?"}),
        "",
        json.dumps({"func_src_before": "a", "func_src_after": "b", "vul_type": "cwe-089", "file_name": "x.rs"}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    instructions, = [load_instructions(path)]
    assert len(instructions.records) == 1
    reasons = {e.line: e.reason for e in instructions.errors}
    assert set(reasons) == {2, 3, 4, 6}
    assert "invalid JSON" in reasons[2]
    assert "'output/response' must be a string" in reasons[3]
    assert "matches no known format" in reasons[4]
    assert "expected a instruction sample, found a security pair" in reasons[6]
    assert all(e.path == str(path) for e in instructions.errors)
    with pytest.raises(DataFormatError, match=r"mixed\.jsonl:2: invalid JSON"):
        load_instructions(path, strict=True)
    pairs, _ = load_records(path)
    assert any("supported languages" in e.reason for e in pairs.errors)


def test_records_round_trip_through_safecoder_jsonl(tmp_path, shared_data):
    pairs = load_security_pairs(shared_data / "security_pairs/safecoder/val/sec-new-desc.jsonl").records
    samples = load_instructions(shared_data / "instructions").records[:10]
    out = tmp_path / "out.jsonl"
    assert write_records(out, [*pairs, *samples]) == len(pairs) + 10
    back_pairs, back_samples = load_records(out, strict=True)
    assert back_pairs.records == pairs
    assert back_samples.records == samples
    assert [p.id for p in back_pairs.records] == [p.id for p in pairs]


def test_a_folder_of_collector_output_loads_without_its_manifests(tmp_path, shared_data):
    """`collect instruct` and `collect run` write `<file>.manifest.json` beside each output."""
    pairs = load_security_pairs(shared_data / "security_pairs/safecoder/val/sec-new-desc.jsonl").records[:3]
    write_records(tmp_path / "cwe-089.jsonl", pairs)
    (tmp_path / "cwe-089.jsonl.manifest.json").write_text(json.dumps({"kind": "security_pairs_manifest", "pairs": 3}))
    loaded = load_security_pairs(tmp_path, strict=True)
    assert loaded.records == pairs and not loaded.errors
    assert [p.rsplit("/", 1)[-1] for p in map(str, loaded.files)] == ["cwe-089.jsonl"]


def test_unknown_schema_version_is_refused(tmp_path):
    pair = SecurityPair("Do it.", "safe()", "unsafe()", "CWE-089", "python")
    row = pair.to_dict() | {"schema_version": 99}
    path = tmp_path / "future.jsonl"
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(DataFormatError, match="schema_version 99 is not supported"):
        load_security_pairs(path, strict=True)


def test_security_pair_rejects_empty_programs():
    with pytest.raises(ValueError, match="both a secure and a vulnerable program"):
        SecurityPair("x", "  ", "code", "CWE-089", "python")


def test_scenarios_load_with_splits_and_contexts(shared_data):
    scenarios = load_scenarios(shared_data / "sec_eval")
    assert len(scenarios) == 66
    assert sum(s.split == "trained" for s in scenarios) == 24
    assert sum(s.split == "trained-new" for s in scenarios) == 42
    sql = next(s for s in scenarios if s.id == "trained/cwe-089/0-py")
    assert sql.cwe == "CWE-089" and sql.language == "python"
    assert "MySQLdb" in sql.file_context and "def unsubscribe" in sql.func_context
    assert sql.check_ql.endswith("SqlInjection.ql")
    assert sql.prompt_code == sql.file_context + sql.func_context
