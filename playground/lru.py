"""One bounded, thread-safe least-recently-used cache, for every lesson that keeps recent results.

Each cache here holds something a learner will likely ask for again in a moment (a slider moved,
a view switched), bounded so a classroom of different inputs cannot grow the server's memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")


class BoundedLRU(Generic[V]):
    """At most `max_entries` values (and, with `size_of`, at most `max_bytes` of them; the newest
    entry always stays), least recently used dropped first."""

    def __init__(self, max_entries: int, *, max_bytes: int | None = None, size_of: Callable[[V], int] | None = None):
        self.max_entries, self.max_bytes, self.size_of = max_entries, max_bytes, size_of
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        self.computed = 0  # how often get_or_compute really computed (tests and benchmarks read it)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            if key not in self._data:
                self.misses += 1
                return None
            self.hits += 1
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            self._evict()

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value, or compute() stored under key. compute runs outside the lock, so
        cheap look-ups never wait behind a slow model call."""
        found = self.get(key)
        if found is not None:
            return found
        value = compute()
        with self._lock:
            self.computed += 1
        self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def _evict(self) -> None:
        while len(self._data) > 1 and (len(self._data) > self.max_entries or self._too_big()):
            self._data.popitem(last=False)

    def _too_big(self) -> bool:
        if self.max_bytes is None or self.size_of is None:
            return False
        return sum(self.size_of(v) for v in self._data.values()) > self.max_bytes
