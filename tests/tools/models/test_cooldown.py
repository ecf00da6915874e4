"""Tests for Cooldowns: failures in a sliding window start a cooldown that a clock counts down."""

from __future__ import annotations

import threading

from tools.models.cooldown import Cooldowns


class FakeClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = [start]

    def __call__(self) -> float:
        return self.now[-1]

    def advance(self, seconds: float) -> None:
        self.now.append(self.now[-1] + seconds)


def make(clock: FakeClock) -> Cooldowns:
    return Cooldowns(threshold=3, window_s=60.0, cooldown_s=120.0, clock=clock)


def test_three_failures_within_the_window_start_a_cooldown():
    clock = FakeClock()
    cool = make(clock)
    assert cool.failed("ollama") is False
    clock.advance(20)
    assert cool.failed("ollama") is False
    clock.advance(39)
    assert cool.failed("ollama") is True
    assert cool.cooling("ollama") == 120.0
    assert cool.cooling("comfyui") == 0.0


def test_failures_spread_beyond_the_window_never_start_a_cooldown():
    clock = FakeClock()
    cool = make(clock)
    for _ in range(10):
        assert cool.failed("ollama") is False
        clock.advance(31)  # two failures fit in 60 s, never three
    assert cool.cooling("ollama") == 0.0


def test_a_failure_exactly_at_the_window_edge_still_counts():
    clock = FakeClock()
    cool = make(clock)
    cool.failed("ollama")
    clock.advance(30)
    cool.failed("ollama")
    clock.advance(30)
    assert cool.failed("ollama") is True


def test_a_success_resets_the_count():
    clock = FakeClock()
    cool = make(clock)
    cool.failed("ollama")
    cool.failed("ollama")
    cool.succeeded("ollama")
    assert cool.failed("ollama") is False
    assert cool.failed("ollama") is False
    assert cool.failed("ollama") is True


def test_providers_are_counted_separately():
    clock = FakeClock()
    cool = make(clock)
    cool.failed("ollama")
    cool.failed("ollama")
    assert cool.failed("groq") is False
    assert cool.cooling("ollama") == 0.0
    assert cool.cooling("groq") == 0.0


def test_cooling_counts_down_to_zero():
    clock = FakeClock()
    cool = make(clock)
    for _ in range(3):
        cool.failed("ollama")
    clock.advance(45)
    assert cool.cooling("ollama") == 75.0
    clock.advance(75)
    assert cool.cooling("ollama") == 0.0
    clock.advance(500)
    assert cool.cooling("ollama") == 0.0


def test_a_cooldown_clears_the_count_so_the_next_one_needs_three_new_failures():
    clock = FakeClock()
    cool = make(clock)
    for _ in range(3):
        cool.failed("ollama")
    clock.advance(121)
    assert cool.failed("ollama") is False
    assert cool.failed("ollama") is False
    assert cool.failed("ollama") is True


def test_cool_down_from_a_failed_health_check_starts_at_since():
    clock = FakeClock(start=5_000.0)
    cool = make(clock)
    cool.cool_down("comfyui", since=4_990.0)
    assert cool.cooling("comfyui") == 110.0


def test_cool_down_does_not_shorten_a_longer_cooldown():
    clock = FakeClock()
    cool = make(clock)
    for _ in range(3):
        cool.failed("ollama")
    cool.cool_down("ollama", since=clock() - 100)
    assert cool.cooling("ollama") == 120.0


def test_recovered_ends_the_cooldown_and_the_count():
    clock = FakeClock()
    cool = make(clock)
    cool.cool_down("coqui", since=clock())
    cool.failed("coqui")
    cool.failed("coqui")
    cool.recovered("coqui")
    assert cool.cooling("coqui") == 0.0
    assert cool.failed("coqui") is False  # the two failures before recovery are forgotten


def test_many_threads_failing_at_once_start_exactly_one_cooldown_per_threshold():
    clock = FakeClock()
    cool = make(clock)
    started: list[bool] = []
    guard = threading.Lock()
    barrier = threading.Barrier(12)

    def hammer() -> None:
        barrier.wait()
        mine = [cool.failed("ollama") for _ in range(50)]
        with guard:
            started.extend(mine)

    threads = [threading.Thread(target=hammer) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert len(started) == 600
    # Each third failure starts a cooldown and clears the count: 600 failures, exactly 200 starts.
    assert started.count(True) == 200
    assert cool.cooling("ollama") == 120.0
