"""crmbridge/pacing.py: from a server's 429s, the rate it accepts is found (what it accepted over
the last window), the pace set just under it, then probed upward along CUBIC's curve while the
writes use it; one cut per window; a 429 among too few answers sets nothing; only refusals that
say the window is full cut (a run of them, or a share above the one refused anyway), so a server
refusing at random does not hold the pace down.
Deterministic: made-up send and answer times, no clock, no IO."""

from __future__ import annotations

import random

import pytest

from crmbridge.pacing import RateFinder

LATENCY = 0.02


def steady(finder: RateFinder, rate: float, start: float, seconds: float) -> float:
    """Writes at ``rate`` per second from ``start`` for ``seconds``, all accepted; the end."""
    n = int(rate * seconds)
    for i in range(n):
        t = start + i / rate
        finder.sent(t)
        finder.observe(sent=t, answered=t + LATENCY, status=200)
    return start + n / rate


def refuse(finder: RateFinder, at: float, count: int = 6) -> None:
    """A full window: ``count`` writes sent at ``at`` (by as many writers) all refused."""
    for _ in range(count):
        finder.sent(at)
        finder.observe(sent=at, answered=at + LATENCY, status=429)


def noisy(
    finder: RateFinder, rate: float, start: float, seconds: float, share: float, seed: int = 1
) -> tuple[float, int]:
    """Writes at ``rate`` per second, each refused with probability ``share`` (a server refusing
    at random, issue 15's faults); the end and how many were refused."""
    rng = random.Random(seed)
    n = int(rate * seconds)
    refused = 0
    for i in range(n):
        t = start + i / rate
        status = 429 if rng.random() < share else 200
        refused += status == 429
        finder.sent(t)
        finder.observe(sent=t, answered=t + LATENCY, status=status)
    return start + n / rate, refused


def test_nothing_is_paced_before_the_first_429() -> None:
    finder = RateFinder()
    steady(finder, 500, 0.0, 2.0)
    assert finder.rate is None
    assert finder.found is None


def test_a_429_sets_the_pace_just_under_what_the_server_accepted_in_the_last_second() -> None:
    finder = RateFinder(margin=0.95)
    t = steady(finder, 250, 0.0, 2.0)
    refuse(finder, t)
    assert finder.found == pytest.approx(250, rel=0.01)
    assert finder.rate == pytest.approx(0.95 * 250, rel=0.01)
    assert finder.cuts == 1


def test_the_found_rate_is_counted_again_from_the_sends_once_their_answers_are_in() -> None:
    """At the 429, half the answers to the writes sent just before it are still on their way
    (slow answers): the count of answers is low. One round trip later the writes sent in the
    window before the refused one are counted as the server counted them."""
    finder = RateFinder()
    answers = []
    for i in range(250):
        t = i / 250
        finder.sent(t)
        answers.append((t + (0.3 if i % 2 else 0.01), t))
    refused = [1.0 + i * 1e-4 for i in range(6)]  # the window is full: six refused in a row
    for t in refused:
        finder.sent(t)
        answers.append((t + 0.01, t))
    answers.sort()
    for answered, sent in answers:
        status = 429 if sent in refused else 200
        finder.observe(sent=sent, answered=answered, status=status)
        if sent == refused[-1]:
            assert finder.found is not None
            assert finder.found < 220  # the slow half of the last 0.3 s is not in yet
    assert finder.found == pytest.approx(250, rel=0.01)


def test_a_limit_reached_in_a_burst_counts_per_window_not_per_burst() -> None:
    """250 accepted in the first 0.25 s of a run: the limit is 250 a second, not 1,000."""
    finder = RateFinder()
    t = steady(finder, 1000, 0.0, 0.25)
    refuse(finder, t)
    assert finder.found == pytest.approx(250, rel=0.01)


def test_the_pace_climbs_back_to_the_found_rate_then_probes_above_it() -> None:
    finder = RateFinder(margin=0.95, recovery=3.0)
    t = steady(finder, 200, 0.0, 1.0)
    refuse(finder, t)
    paces = []
    for _ in range(8):
        rate = finder.rate
        assert rate is not None
        paces.append(rate)
        t = steady(finder, rate, t, 1.0)
    found = finder.found
    assert found == pytest.approx(200, rel=0.01)
    assert paces[0] == pytest.approx(0.95 * found)
    assert paces == sorted(paces)
    # Concave toward the found rate, flat around it (after `recovery` seconds), convex above it.
    assert paces[3] == pytest.approx(found, rel=0.002)
    assert paces[1] - paces[0] > paces[3] - paces[2]
    assert paces[7] - paces[6] > paces[5] - paces[4] > 0
    assert paces[7] > found * 1.01
    assert finder.cuts == 1


def test_the_probe_waits_while_the_writes_do_not_use_the_pace() -> None:
    """RFC 9438 §5.8: no growth while the sender is application-limited."""
    finder = RateFinder(margin=0.95)
    t = steady(finder, 200, 0.0, 1.0)
    refuse(finder, t)
    # The client sends half the pace: once the last second holds only that, the pace stays.
    t = steady(finder, 100, t, 1.5)
    start = finder.rate
    steady(finder, 100, t, 10.0)
    assert finder.rate == start
    assert start is not None
    assert start < 200


def test_one_cut_per_window() -> None:
    """429s to writes sent before the cut, or within a window of it, do not cut again."""
    finder = RateFinder()
    t = steady(finder, 300, 0.0, 1.0)
    refuse(finder, t)
    finder.observe(sent=t - 0.01, answered=t + 0.05, status=429)  # sent before the cut
    t = steady(finder, 280, t + 0.05, 0.5)
    refuse(finder, t)  # half a window after the cut
    assert finder.cuts == 1
    t = steady(finder, 280, t, 1.0)
    refuse(finder, t)
    assert finder.cuts == 2
    assert finder.found == pytest.approx(280, rel=0.01)


def test_a_429_among_too_few_answers_sets_nothing() -> None:
    """Five answers, then a 429: a server refusing at random looks the same from so few."""
    finder = RateFinder(least=20)
    t = steady(finder, 100, 0.0, 0.05)
    refuse(finder, t)
    assert finder.found is None
    assert finder.rate is None


def test_409s_were_counted_by_the_server_and_count_as_accepted() -> None:
    finder = RateFinder()
    for i in range(100):
        t = i / 100
        finder.sent(t)
        finder.observe(sent=t, answered=t + LATENCY, status=409 if i % 2 else 200)
    refuse(finder, 1.0)
    assert finder.found == pytest.approx(100, rel=0.03)


def test_recent_sends_are_what_the_servers_window_holds() -> None:
    """Sent in the window and not refused, unanswered ones included."""
    finder = RateFinder()
    for t in (0.1, 0.5, 0.6, 0.7, 0.9):
        finder.sent(t)
    finder.observe(sent=0.6, answered=0.62, status=429)
    finder.observe(sent=0.5, answered=0.52, status=200)
    assert finder.recent_sends(1.2, within=1.0) == [0.5, 0.7, 0.9]


@pytest.mark.parametrize(
    "kw",
    [
        {"margin": 1.0},
        {"margin": 0.0},
        {"recovery": 0.0},
        {"window": -1.0},
        {"least": 0},
        {"excess": 0.0},
        {"excess": 1.0},
        {"history": 0},
        {"run": 0},
    ],
)
def test_bad_settings_are_refused(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RateFinder(**kw)  # type: ignore[arg-type]


def test_the_higher_of_the_two_counts_is_kept() -> None:
    """Sends counted late by the server (a stall): the sends of the window before the refused
    one are fewer than the answers of the window before the 429's answer."""
    finder = RateFinder()
    for i in range(200):  # sent over 0.0-0.8 s, answered late, all within 0.9-1.2 s
        t = i * 0.004
        finder.sent(t)
    for i in range(200):
        t = i * 0.004
        finder.observe(sent=t, answered=1.2 + t / 10, status=200)
    for i in range(60):  # then 60 more sent at 1.1-1.16 s, answered at once
        t = 1.1 + i * 0.001
        finder.sent(t)
        finder.observe(sent=t, answered=1.28 + i * 0.0001, status=200)
    refuse(finder, 2.05)  # sent after the first 200 left the window of sends
    finder.sent(2.1)
    finder.observe(sent=2.1, answered=2.2, status=200)  # refined: 60 sends, 260 answers
    assert finder.found == pytest.approx(260, rel=0.01)


def test_a_lone_429_among_clean_windows_does_not_cut() -> None:
    """One refusal in 250: a server's window that was full refuses more than that; a server
    that refuses now and then refuses that much at any rate."""
    finder = RateFinder()
    t = steady(finder, 250, 0.0, 2.0)
    refuse(finder, t, count=1)
    assert finder.found is None
    refuse(finder, t + 0.01, count=5)  # five more in a row: six, the window is full
    assert finder.found == pytest.approx(250, rel=0.02)


def test_random_refusals_set_no_pace() -> None:
    """10% of the writes refused at random for a minute (tests/reliability/test_faults.py):
    nothing is found, the writers' AIMD alone deals with them."""
    finder = RateFinder()
    _, refused = noisy(finder, 250, 0.0, 60.0, share=0.10)
    assert refused > 1000
    assert finder.found is None
    assert finder.cuts == 0


def test_random_refusals_do_not_hold_a_found_pace_down() -> None:
    """Once a pace is found, a server that also refuses 10% at random: the pace goes on rising
    while the writes use it, where a cut at every 429 froze it (test_faults: 155 s, not 10)."""
    finder = RateFinder()
    t = steady(finder, 100, 0.0, 1.0)
    refuse(finder, t)
    assert finder.found == pytest.approx(100, rel=0.02)
    start = finder.rate
    assert start is not None
    for second in range(20):
        rate = finder.rate
        assert rate is not None
        t, _ = noisy(finder, rate, t, 1.0, share=0.10, seed=second)
    assert finder.cuts <= 2
    assert finder.rate is not None
    assert finder.rate > 2 * start


def test_refusals_above_the_share_refused_anyway_cut() -> None:
    """A server refusing 10% at random, and a limit: sent 20% above it, it refuses a share well
    above the 10% of the windows before, interleaved (no run), and that cuts."""
    finder = RateFinder()
    t, _ = noisy(finder, 200, 0.0, 3.0, share=0.10)
    assert finder.found is None
    assert finder.noise() == pytest.approx(0.10, abs=0.04)
    # 240 a second into a limit of 200: every sixth write refused besides the random ones.
    rng = random.Random(7)
    for i in range(240):
        at = t + i / 240
        status = 429 if i % 6 == 5 or rng.random() < 0.10 else 200
        finder.sent(at)
        finder.observe(sent=at, answered=at + LATENCY, status=status)
    assert finder.cuts == 1
    assert finder.found is not None
    assert finder.found < 200


def test_the_probe_runs_on_the_writes_sent_not_only_those_accepted() -> None:
    """With a share refused at random, what the server accepts stays under the pace however
    fully the writes use it: the probe's clock counts the writes sent."""
    finder = RateFinder(in_use=0.95)
    t = steady(finder, 200, 0.0, 1.0)
    refuse(finder, t)
    start = finder.rate
    assert start is not None
    t, _ = noisy(finder, start, t, 1.0, share=0.10)
    assert finder.rate is not None
    assert finder.rate > start
