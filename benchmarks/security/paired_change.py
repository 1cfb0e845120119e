"""How far two models' secure rates differ, scenario by scenario, and whether that
difference is outside the spread a rerun would show.

Each rate on its own carries a binomial interval of about +/- 5 points at 5 samples per
scenario, so two rates "differ beyond the spread" only past about 10 points when the
intervals are read side by side. That reading ignores that both models answered the
same scenarios: most of a rate's variance is which scenarios are easy, and it cancels
in a paired comparison. Here the change is the mean over the scenarios both models
judged of (rate B - rate A), and its interval is a bootstrap over those scenarios (each
resample draws scenarios with replacement and keeps each one's pair together), so it
states the spread of the difference itself.

The mean is over scenarios, not over programs, so it can differ by a point or two from
the change of the overall rates, which weigh a scenario by its judged programs (the
compact evaluation records keep per-scenario rates, not counts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

# The judges whose per-scenario rates a compact evaluation record keeps, in the order they are shown.
JUDGES = ("combined", "paper", "strict", "dynamic")
# Enough resamples that the interval's ends move by less than 0.1 point between seeds.
RESAMPLES = 4000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairedChange:
    """The change of one judge's secure rate from A to B over their shared scenarios."""

    judge: str
    scenarios: int
    change: float  # mean per-scenario change, points
    low: float     # the interval's ends, points
    high: float
    better: int    # scenarios where B's rate is higher
    worse: int     # ... lower

    @property
    def beyond_spread(self) -> bool:
        """Whether the interval excludes no change: the difference is more than resampling noise."""
        return self.low > 0 or self.high < 0

    def describe(self) -> str:
        verdict = "beyond the spread" if self.beyond_spread else "within the spread"
        return (f"{self.judge}: {self.change:+.1f} [{self.low:+.1f}, {self.high:+.1f}] over {self.scenarios} "
                f"scenarios ({self.better} up, {self.worse} down): {verdict}")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "beyond_spread": self.beyond_spread}


def paired_change(a: Mapping[str, Mapping[str, float | None]], b: Mapping[str, Mapping[str, float | None]],
                  judge: str, *, resamples: int = RESAMPLES, seed: int = 0,
                  confidence: float = CONFIDENCE) -> PairedChange | None:
    """`a` and `b` map scenario ids to their rates by judge (`SecurityEvaluation.scenario_rates`);
    None when fewer than two scenarios have both rates for `judge`."""
    import numpy as np

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, not {resamples}")
    shared = sorted(s for s in set(a) & set(b)
                    if a[s].get(judge) is not None and b[s].get(judge) is not None)
    if len(shared) < 2:
        return None
    differences = np.array([float(b[s][judge]) - float(a[s][judge]) for s in shared])  # type: ignore[arg-type]
    rng = np.random.default_rng(seed)
    means = differences[rng.integers(0, len(shared), size=(resamples, len(shared)))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return PairedChange(judge=judge, scenarios=len(shared), change=round(float(differences.mean()), 2),
                        low=round(float(low), 2), high=round(float(high), 2),
                        better=int((differences > 0).sum()), worse=int((differences < 0).sum()))
