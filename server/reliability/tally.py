"""The counts every fuzzer reports: requests sent, answers by class, crashes and hangs.

A *crash* is the server process gone (or refusing connections); a *hang* is a request
with no answer within the fuzzer's deadline. `failures` keeps a short description of
the first few 5xx answers, crashes and hangs, enough to turn each into a regression test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_FAILURES_KEPT = 20


@dataclass
class Tally:
    name: str
    requests: int = 0
    ok: int = 0  # 2xx, or an LSP result
    client_errors: int = 0  # 4xx, or an LSP error answer
    server_errors: int = 0  # 5xx, or an LSP internal error (-32603)
    crashes: int = 0
    hangs: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def record_status(self, status: int, what: str) -> None:
        self.requests += 1
        if status < 400:
            self.ok += 1
        elif status < 500:
            self.client_errors += 1
        else:
            self.server_errors += 1
            self.fail(f"{status} for {what}")

    def fail(self, description: str) -> None:
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append(description[:500])

    @property
    def clean(self) -> bool:
        return self.server_errors == 0 and self.crashes == 0 and self.hangs == 0

    def add(self, other: Tally) -> None:
        for name in ("requests", "ok", "client_errors", "server_errors", "crashes", "hangs", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for failure in other.failures:
            self.fail(failure)

    def line(self) -> str:
        return (f"{self.name}: {self.requests} requests, {self.ok} ok, {self.client_errors} 4xx, "
                f"{self.server_errors} 5xx, {self.crashes} crashes, {self.hangs} hangs ({self.seconds:.0f} s)")
