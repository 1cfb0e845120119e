"""Agreement between two security judges: counts and Cohen's kappa.

Input: per program, two verdicts (secure or not) from two judges, here the static judge
(the analysis ensemble) and the dynamic one (the exploit tests), counted on the programs
both judged. Output: the four cells of the 2x2 table, the observed agreement and Cohen's
kappa (J. Cohen, "A coefficient of agreement for nominal scales", 1960, eq. 1):

    kappa = (p_o - p_e) / (1 - p_e),
    p_e   = p_A(secure) * p_B(secure) + p_A(insecure) * p_B(insecure),

the agreement beyond what two judges with these marginal rates reach by chance. kappa is
undefined (None) when p_e = 1 (both judges gave one and the same verdict to every
program): there is no disagreement that chance could explain. Cells add up, so groups
(a CWE, a split) pool their scenarios' cells before kappa is computed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    both_secure: int = 0
    both_insecure: int = 0
    only_static_insecure: int = 0
    only_dynamic_insecure: int = 0

    @property
    def total(self) -> int:
        return self.both_secure + self.both_insecure + self.only_static_insecure + self.only_dynamic_insecure

    @property
    def observed(self) -> float | None:
        return None if self.total == 0 else (self.both_secure + self.both_insecure) / self.total

    @property
    def kappa(self) -> float | None:
        n = self.total
        if n == 0:
            return None
        static_secure = (self.both_secure + self.only_dynamic_insecure) / n
        dynamic_secure = (self.both_secure + self.only_static_insecure) / n
        expected = static_secure * dynamic_secure + (1 - static_secure) * (1 - dynamic_secure)
        if expected >= 1.0:
            return None
        observed = (self.both_secure + self.both_insecure) / n  # self.observed, never None here
        return (observed - expected) / (1.0 - expected)


def agreement(pairs: list[tuple[bool, bool]]) -> Agreement:
    """From (static secure, dynamic secure) pairs, one per program judged by both."""
    cells = {(True, True): 0, (False, False): 0, (False, True): 0, (True, False): 0}
    for static_secure, dynamic_secure in pairs:
        cells[(bool(static_secure), bool(dynamic_secure))] += 1
    return Agreement(both_secure=cells[(True, True)], both_insecure=cells[(False, False)],
                     only_static_insecure=cells[(False, True)], only_dynamic_insecure=cells[(True, False)])
