"""The file `make bench-fix` times: as long as promised, and with exactly its three findings.

The benchmark refuses to run when the rules no longer see the three weaknesses; this test
says so in CI first, so that the benchmark measures what docs/repair.md says it does.
"""

from safecoder.repair import perf


def test_the_benchmark_file_has_500_lines_and_exactly_its_three_findings():
    text = perf.build_file(500)
    assert text.count("\n") >= 500
    assert perf.findings_of(text) == sorted(cwe for cwe, _ in perf.VULNERABLE_FUNCTIONS)


def test_the_filler_alone_is_clean():
    assert perf.findings_of(perf.HEADER + perf._filler(0) + perf._filler(1)) == []
