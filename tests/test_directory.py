"""crmbridge/directory.py: when a provider reads its CRM's users again."""

from __future__ import annotations

from crmbridge.directory import UserDirectory


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_read_once_then_again_only_for_a_stranger_after_the_interval() -> None:
    clock = Clock()
    team = UserDirectory(clock)
    assert team.stale({"ada@x.io"})  # never read
    team.store({"ada@x.io": "u1"})
    assert not team.stale({"ada@x.io"})
    assert not team.stale(set())
    assert not team.stale({"bob@x.io"})  # unknown, but read a moment ago
    clock.now += UserDirectory.refresh_after - 0.5
    assert not team.stale({"bob@x.io"})
    clock.now += 0.5
    assert team.stale({"bob@x.io"})  # may have joined since
    assert not team.stale({"ada@x.io"})  # a known one never needs a read


def test_a_refused_list_is_asked_again_only_after_the_interval() -> None:
    clock = Clock()
    team = UserDirectory(clock)
    team.refused()
    assert team.ids is None
    assert not team.stale({"ada@x.io"})
    clock.now += UserDirectory.refresh_after
    assert team.stale({"ada@x.io"})
