"""Cooldowns: a provider that failed too often recently is skipped at once until its cooldown ends."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class Cooldowns:
    """Counts failures per provider in a sliding window; `threshold` failures start a cooldown."""

    def __init__(
        self,
        threshold: int = 3,
        window_s: float = 60.0,
        cooldown_s: float = 120.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.threshold, self.window_s, self.cooldown_s = threshold, window_s, cooldown_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def cooling(self, provider: str) -> float:
        """Seconds left of `provider`'s cooldown; 0 when it may be called."""
        with self._lock:
            return max(0.0, self._until.get(provider, 0.0) - self._clock())

    def failed(self, provider: str) -> bool:
        """Count one failure; return True when this failure started a cooldown."""
        now = self._clock()
        with self._lock:
            recent = self._failures.setdefault(provider, deque())
            recent.append(now)
            while recent and recent[0] < now - self.window_s:
                recent.popleft()
            if len(recent) >= self.threshold:
                recent.clear()
                self._until[provider] = now + self.cooldown_s
                return True
        return False

    def succeeded(self, provider: str) -> None:
        """A success clears the failure count."""
        with self._lock:
            self._failures.pop(provider, None)

    def cool_down(self, provider: str, since: float) -> None:
        """Start a cooldown that began at `since` (a failed health check), unless a longer one runs."""
        with self._lock:
            self._until[provider] = max(self._until.get(provider, 0.0), since + self.cooldown_s)

    def recovered(self, provider: str) -> None:
        """End a cooldown early (a health check passed)."""
        with self._lock:
            self._until.pop(provider, None)
            self._failures.pop(provider, None)
