"""Stop strings over streamed text: emit only what can no longer become part of a stop.

`StopScanner` takes a sample's text as it grows and returns the part that is safe to
show: text that could still be the beginning of a stop string is held back until the
next piece decides it. When a stop string appears, the text before it is released and
the sample is finished. Every engine uses it, so stop semantics do not differ between
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StopScanner:
    stops: tuple[str, ...]
    _text: str = ""
    _emitted: int = 0
    stopped: bool = field(default=False, init=False)

    def feed(self, full_text: str) -> str:
        """Give the sample's whole text so far; returns the newly releasable text."""
        if self.stopped:
            return ""
        self._text = full_text
        cut = first_stop(full_text, self.stops, start=max(0, self._emitted - self._longest() + 1))
        if cut is not None:
            self.stopped = True
            return self._release(cut)
        hold = self._partial_stop_length(full_text)
        return self._release(len(full_text) - hold)

    def flush(self) -> str:
        """At the end of generation: everything not yet released (no stop was found)."""
        if self.stopped:
            return ""
        return self._release(len(self._text))

    @property
    def text(self) -> str:
        """The sample's released text so far."""
        return self._text[: self._emitted]

    def _release(self, upto: int) -> str:
        upto = max(upto, self._emitted)
        piece = self._text[self._emitted:upto]
        self._emitted = upto
        return piece

    def _longest(self) -> int:
        return max((len(s) for s in self.stops), default=1)

    def _partial_stop_length(self, text: str) -> int:
        """Length of the longest suffix of `text` that is a proper prefix of a stop string."""
        best = 0
        for stop in self.stops:
            for length in range(min(len(stop) - 1, len(text)), 0, -1):
                if text.endswith(stop[:length]):
                    best = max(best, length)
                    break
        return best


def first_stop(text: str, stops: tuple[str, ...], start: int = 0) -> int | None:
    """Index of the earliest stop string in `text` at or after `start`, or None."""
    positions = [p for p in (text.find(stop, start) for stop in stops) if p != -1]
    return min(positions) if positions else None


def truncate_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """(`text` cut before its first stop string, whether one was found)."""
    position = first_stop(text, stops)
    return (text, False) if position is None else (text[:position], True)
