"""crmbridge/aimd.py: the limit doubles per round until the first decrease, then grows by one
per round of clean, fast answers; it halves on 429 and 503, loses a tenth on a 409 or a latency
well above the baseline, once per round, between the floor and the ceiling.
Deterministic: made-up send and answer times, no clock, no IO."""

from __future__ import annotations

import pytest

from crmbridge.aimd import AIMD


def rounds(aimd: AIMD, n: int, *, start: float = 0.0, latency: float = 0.02) -> float:
    """``n`` rounds of ``aimd.limit`` clean answers, every writer busy; the time after them."""
    t = start
    for _ in range(n):
        for _ in range(aimd.limit):
            aimd.observe(sent=t, answered=t + latency, status=200, in_flight=aimd.limit)
        t += latency
    return t


def congested(aimd: AIMD, t: float) -> None:
    """One throttled answer: ends the slow start (the limit halves)."""
    aimd.observe(sent=t, answered=t + 0.01, status=429, in_flight=aimd.limit)


def test_slow_start_doubles_the_limit_per_round_until_the_first_decrease() -> None:
    aimd = AIMD(initial=4, ceiling=64)
    rounds(aimd, 1)
    assert aimd.limit == 8
    rounds(aimd, 2)
    assert aimd.limit == 32
    assert aimd.slow_start


def test_after_a_decrease_clean_fast_answers_add_one_writer_per_round() -> None:
    aimd = AIMD(initial=16, ceiling=64)
    congested(aimd, 0.0)
    assert aimd.limit == 8
    assert not aimd.slow_start
    t = rounds(aimd, 1, start=1.0)
    assert aimd.limit == 9
    rounds(aimd, 10, start=t)
    assert aimd.limit == 19


def test_the_ceiling_bounds_the_growth() -> None:
    aimd = AIMD(initial=4, ceiling=8)
    rounds(aimd, 50)
    assert aimd.limit == 8
    assert aimd.highest == 8


def test_no_growth_while_the_writers_do_not_use_the_limit() -> None:
    aimd = AIMD(initial=8, ceiling=64)
    for i in range(100):
        aimd.observe(sent=i * 0.02, answered=i * 0.02 + 0.02, status=200, in_flight=2)
    assert aimd.limit == 8


@pytest.mark.parametrize("status", [429, 503])
def test_a_throttle_halves_the_limit(status: int) -> None:
    aimd = AIMD(initial=4, ceiling=64)
    t = rounds(aimd, 2)
    assert aimd.limit == 16
    aimd.observe(sent=t, answered=t + 0.01, status=status, in_flight=16)
    assert aimd.limit == 8
    assert aimd.decreases == {"conflict": 0, "throttled": 1, "latency": 0}


def test_a_lock_conflict_takes_a_tenth_off() -> None:
    """A 409: one record is contended, the server is not full."""
    aimd = AIMD(initial=5, ceiling=64)
    t = rounds(aimd, 2)
    assert aimd.limit == 20
    aimd.observe(sent=t, answered=t + 0.01, status=409, in_flight=20)
    assert aimd.limit == 18
    assert aimd.decreases == {"conflict": 1, "throttled": 0, "latency": 0}


def test_one_decrease_per_round() -> None:
    """Answers to requests sent before the decrease were sent at the old limit."""
    aimd = AIMD(initial=16, ceiling=64)
    for i in range(10):  # ten writers sent at t=0, all throttled
        aimd.observe(sent=0.0, answered=0.02 + i * 0.001, status=429, in_flight=16)
    assert aimd.limit == 8
    aimd.observe(sent=0.05, answered=0.07, status=429, in_flight=8)  # sent after: counts
    assert aimd.limit == 4


def test_never_below_the_floor() -> None:
    aimd = AIMD(initial=4, ceiling=64, floor=2)
    for i in range(20):
        aimd.observe(sent=float(i), answered=i + 0.5, status=429, in_flight=1)
    assert aimd.limit == 2
    assert AIMD(initial=4, ceiling=64).limit == 4


def test_rising_latency_backs_off() -> None:
    aimd = AIMD(initial=4, ceiling=64)
    t = rounds(aimd, 2, latency=0.02)
    assert aimd.limit == 16
    assert aimd.baseline == pytest.approx(0.02)
    t = rounds(aimd, 3, start=t, latency=0.1)  # five times the baseline: queueing
    assert aimd.decreases == {"conflict": 0, "throttled": 0, "latency": 3}  # one per round
    assert aimd.limit == 12  # a tenth off each: (16 + 2 of slow start) -> 16 -> 14 -> 12
    rounds(aimd, 5, start=t, latency=0.1)  # and again every round while it stays high
    assert aimd.decreases["latency"] == 8
    assert aimd.limit == 6


def test_one_slow_answer_is_not_a_trend() -> None:
    aimd = AIMD(initial=4, ceiling=64)
    t = rounds(aimd, 2)
    aimd.observe(sent=t, answered=t + 0.1, status=200, in_flight=16)
    assert aimd.limit == 17  # still growing (slow start): that answer was clean
    assert aimd.decreases["latency"] == 0


def test_latency_within_tolerance_keeps_growing() -> None:
    aimd = AIMD(initial=16, ceiling=64)
    congested(aimd, 0.0)
    t = rounds(aimd, 5, start=1.0, latency=0.02)
    rounds(aimd, 10, start=t, latency=0.035)
    assert aimd.limit == 23
    assert aimd.decreases == {"conflict": 0, "throttled": 1, "latency": 0}


def test_other_errors_say_nothing_about_load() -> None:
    aimd = AIMD(initial=4, ceiling=64)
    for status in (400, 404, 422, 500, None):
        aimd.observe(sent=0.0, answered=0.02, status=status, in_flight=4)
    assert aimd.limit == 4
    assert aimd.baseline is None


def test_the_baseline_follows_a_server_slower_for_good() -> None:
    aimd = AIMD(initial=4, ceiling=64, window=50)
    t = rounds(aimd, 3, latency=0.01)
    for i in range(60):
        aimd.observe(sent=t + i, answered=t + i + 0.05, status=200, in_flight=1)
    assert aimd.baseline == pytest.approx(0.05)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"floor": 0},
        {"floor": 9, "ceiling": 8},
        {"backoff": 1.0},
        {"gentle_backoff": 0.0},
        {"tolerance": 1.0},
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    settings: dict[str, float] = {"initial": 4, "ceiling": 8, **kwargs}
    with pytest.raises(ValueError):
        AIMD(**settings)  # type: ignore[arg-type]


def test_paced_writes_are_not_cut_for_429s_but_still_for_latency_and_conflicts() -> None:
    """Held to a rate (crmbridge/pacing.py), a 429 says the pace is high, which the pace
    answers; slow answers (queueing) and a 409 still decrease the pool."""
    aimd = AIMD(initial=5, ceiling=64)
    t = rounds(aimd, 2)
    assert aimd.limit == 20
    aimd.observe(sent=t, answered=t + 0.01, status=429, in_flight=20, paced=True)
    assert aimd.limit == 20
    assert aimd.decreases == {"conflict": 0, "throttled": 0, "latency": 0}
    for i in range(50):  # ten times the baseline latency, every writer busy
        s = t + 0.05 + i * 0.01
        aimd.observe(sent=s, answered=s + 0.2, status=200, in_flight=20, paced=True)
    assert aimd.decreases["latency"] >= 1
    assert aimd.limit < 20
    before = aimd.limit
    aimd.observe(sent=t + 2.0, answered=t + 2.01, status=409, in_flight=20, paced=True)
    assert aimd.decreases["conflict"] == 1
    assert aimd.limit < before


def test_the_same_429_unpaced_halves_the_pool() -> None:
    aimd = AIMD(initial=5, ceiling=64)
    t = rounds(aimd, 2)
    aimd.observe(sent=t, answered=t + 0.01, status=429, in_flight=20)
    assert aimd.limit == 10
