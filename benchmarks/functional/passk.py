"""The unbiased pass@k estimator (Chen et al., 2021, "Evaluating Large Language Models
Trained on Code", equation 1): with n samples of which c pass,

    pass@k = 1 - C(n - c, k) / C(n, k),

computed as a product so that large n does not overflow. A benchmark's pass@k is the
mean over its problems. This module only computes; it runs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable


def pass_at_k(n: int, c: int, k: int) -> float:
    """The probability that at least one of k samples drawn from n (c correct) is correct."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got c={c}, n={n}")
    if n < k:
        raise ValueError(f"pass@{k} needs at least {k} samples per problem, got {n}")
    if n - c < k:
        return 1.0
    remaining = 1.0
    for drawn in range(n - c + 1, n + 1):
        remaining *= 1.0 - k / drawn
    return 1.0 - remaining


def mean_pass_at_k(outcomes: Iterable[tuple[int, int]], k: int) -> float:
    """The mean of pass@k over problems given as (n, c) pairs, in percent."""
    values = [pass_at_k(n, c, k) for n, c in outcomes]
    if not values:
        raise ValueError("no problems to average pass@k over")
    return 100.0 * sum(values) / len(values)
