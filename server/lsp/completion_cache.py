"""Recent completions, reused instantly when the same context or a typed-ahead one comes back.

Keyed by (language, prefix window, suffix window, generation settings). Besides exact
hits, a request whose prefix extends a cached prefix by text the user typed, where that
text is the beginning of the cached suggestion, gets the rest of the suggestion: typing
along a shown suggestion costs no new generation.

Not here: deciding what to generate, or invalidating on settings changes beyond the
settings that are part of the key (`clear` is called when settings change).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

from safecoder.server.lsp.backend import Suggestion

# How far back a typed-ahead lookup searches; longer typed runs start a new generation.
_MAX_TYPED_AHEAD = 64


@dataclass
class CacheStats:
    hits: int = 0
    typed_ahead_hits: int = 0
    misses: int = 0


class CompletionCache:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self._entries: OrderedDict[tuple, Suggestion] = OrderedDict()
        self.stats = CacheStats()

    def get(self, language: str, prefix: str, suffix: str, settings: tuple) -> Suggestion | None:
        key = (language, prefix, suffix, settings)
        if key in self._entries:
            self._entries.move_to_end(key)
            self.stats.hits += 1
            return self._entries[key]
        for typed in range(1, min(_MAX_TYPED_AHEAD, len(prefix)) + 1):
            earlier = (language, prefix[:-typed], suffix, settings)
            cached = self._entries.get(earlier)
            if cached is None:
                continue
            typed_text = prefix[-typed:]
            if cached.text.startswith(typed_text) and len(cached.text) > typed:
                self.stats.typed_ahead_hits += 1
                return replace(cached, text=cached.text[typed:])
        self.stats.misses += 1
        return None

    def put(self, language: str, prefix: str, suffix: str, settings: tuple, suggestion: Suggestion) -> None:
        if self.capacity == 0:
            return
        key = (language, prefix, suffix, settings)
        self._entries[key] = suggestion
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
