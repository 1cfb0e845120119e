"""The unbiased pass@k estimator against known values and the closed form."""

import math

import pytest

from safecoder.benchmarks.functional.passk import mean_pass_at_k, pass_at_k


@pytest.mark.parametrize(("n", "c", "k", "expected"), [
    (10, 3, 1, 0.3),
    (40, 0, 1, 0.0),
    (40, 40, 1, 1.0),
    (4, 2, 2, 1 - 1 / 6),
    (10, 1, 10, 1.0),
    (10, 5, 6, 1.0),
    (20, 2, 10, 1 - (10 * 9) / (20 * 19)),
    (5, 1, 2, 0.4),
])
def test_known_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_matches_the_closed_form_everywhere_on_a_grid():
    for n in range(1, 41):
        for c in range(n + 1):
            for k in (1, 2, 5, 10):
                if k > n:
                    continue
                closed = 1.0 - math.comb(n - c, k) / math.comb(n, k)
                assert pass_at_k(n, c, k) == pytest.approx(closed, abs=1e-9), (n, c, k)


def test_pass_at_1_is_the_pass_rate_and_grows_with_k():
    assert pass_at_k(40, 13, 1) == pytest.approx(13 / 40)
    values = [pass_at_k(40, 13, k) for k in (1, 5, 10, 25)]
    assert values == sorted(values) and values[-1] < 1.0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least 10 samples"):
        pass_at_k(5, 1, 10)
    with pytest.raises(ValueError):
        pass_at_k(5, 6, 1)
    with pytest.raises(ValueError):
        pass_at_k(5, 1, 0)


def test_the_benchmark_figure_is_the_mean_over_problems_in_percent():
    assert mean_pass_at_k([(10, 3), (10, 0), (10, 10)], 1) == pytest.approx(100 * (0.3 + 0 + 1) / 3)
    with pytest.raises(ValueError):
        mean_pass_at_k([], 1)
