"""How fast to write to a CRM that enforces a rate limit it does not publish: find it, pace under it.

Kizen publishes no limit (docs/reference/kizen.md §10), so a limit it enforces is known only by
its 429s. The writers' :class:`~crmbridge.aimd.AIMD` controls requests *in flight*, but a server
that counts requests per one-second window limits a *rate*: in-flight writers ÷ latency overshoots
it, the window fills in a burst, every write sent until it frees is refused (each waiting a
``Retry-After`` of at least a second: DRF rounds it up), the pool halves and grows back, and the
cycle repeats (issue 24: 434 429s in 5,000 writes, 0.70 of the limit; docs/benchmarks.md "Kizen
as a target: found rate"). So, as BBR estimates a path's bottleneck from its *delivery rate*
rather than reacting to each loss (Cardwell et al., "BBR: Congestion-Based Congestion Control",
ACM Queue 14(5), 2016, https://queue.acm.org/detail.cfm?id=3022184; the estimator:
https://datatracker.ietf.org/doc/html/draft-cheng-iccrg-delivery-rate-estimation), and as
Google's client-side throttling counts what the backend *accepted* to decide what to send
(https://sre.google/sre-book/handling-overload/, "Client-side throttling"):

* until the first 429s that say the server's window is full (the last bullets: which ones do)
  nothing is paced: the rate is unknown (the writers' slow start finds it);
* then the window is full. The writes it accepted in the last second (answered
  with anything but 429: a 409 was counted too) are its limit as far as this client can tell —
  another client on the same token takes its share. The pace becomes ``margin`` times that rate
  (the *found* rate), and the caller is given the sends of the last second, so the pacer's own
  window starts as full as the server's (:meth:`recent_sends`);
* then the pace probes upward along CUBIC's curve (RFC 9438 §4.2, ``W_cubic(t) = C*(t - K)**3 +
  W_max`` with ``C`` chosen so that ``K`` = ``recovery`` seconds): quickly back toward the found
  rate, flat around it, faster above it — so a limit that rose, or an estimate that was low, is
  found again, at the cost of one 429 per probe. The probe's clock runs only while the writes use
  the pace (RFC 9438 §5.8: no growth while application-limited), so a client held back by its
  own CPU does not build up a pace it never tested;
* a 429 when fewer than ``least`` writes were accepted in the last window says too little: a
  server refusing at random (issue 15's faults) or a tiny limit look alike from so few, and a
  pace set from a handful of answers would take long to probe back up. Those are left to the
  writers' AIMD, as before; so the pace is never below ``least`` per window;
* a 429 cuts only when the share of refusals in the last window stands out from the share the
  server refuses anyway. A full window refuses a share that grows with the rate sent above it
  (``1 - limit / rate``); a server refusing at random (issue 15's faults: 10% of every request,
  tests/reliability/test_faults.py) refuses the same share at any rate, so no pace is below it.
  Cutting on any 429 there cut every window and froze the pace at the first one's (~30 writes/s:
  test_faults took 155 s instead of 10). The share refused anyway is the median of the last
  ``history`` windows (at least ``least`` answers each); a 429 cuts when the last window's share
  is above it by ``excess`` and by four standard errors of a binomial share over that many
  answers (so 25 of 250 at a 10% noise is noise). Before a window has been counted, nothing
  tells noise from a limit but the refusals' order: a window that fills refuses every write
  until it frees, so the burst that fills it at the start of a run (the writers' slow start:
  25-32 refusals in a row on the bench) is a ``run`` of 429s with nothing between, which a
  server refusing 10% at random answers once in a million (0.1**6). Such a run cuts at any
  time;
* at most one cut per window: a 429 to a write sent before the last cut was sent at the old
  pace, and within a window of the cut the delivery rate still counts writes sent before it.
  So 429s that do not come from the rate (a server refusing at random, issue 15's faults) lower
  the pace by ``margin`` per window at most, instead of once per answer.

Pure logic: the caller says when each write was sent and answered (seconds on one monotonic
clock) and with what status, so tests drive it with made-up times (tests/test_pacing.py).
Why not a library, and why the refused write alone waits its ``Retry-After``:
docs/decisions.md, "pace".
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, deque

__all__ = ["RateFinder"]

#: The answer of a server whose rate window is full (RFC 6585 §4).
THROTTLED = 429


class RateFinder:
    """The pace (writes per second) under a server's unpublished rate limit, from its answers.

    ``margin``: the pace after a 429, as a share of the rate found then (CUBIC's β, RFC 9438
    §4.6, is 0.7 for a path whose capacity others share and vary; a CRM's limit is a fixed
    number, so the cut is small); ``recovery``: seconds of probing to get back to the found rate
    (CUBIC's ``K``); ``window``: the server's counting window, seconds; ``in_use``: the share of
    the pace the writes must reach for the probe's clock to run; ``least``: the fewest writes
    accepted in a window for a 429 to set the pace; ``run``: how many 429s in a row (in the
    order answered) say the window is full whatever the share; ``excess``: how far above the share refused
    anyway the last window's must be for a 429 to cut; ``history``: how many windows that share
    is the median of.
    """

    def __init__(
        self,
        *,
        margin: float = 0.95,
        recovery: float = 3.0,
        window: float = 1.0,
        in_use: float = 0.9,
        least: int = 20,
        run: int = 6,
        excess: float = 0.02,
        history: int = 8,
    ) -> None:
        if not 0 < margin < 1:
            raise ValueError(f"margin must be between 0 and 1, got {margin}")
        if recovery <= 0 or window <= 0 or least < 1:
            raise ValueError("recovery and window must be positive, least at least 1")
        if not 0 < excess < 1:
            raise ValueError(f"excess must be between 0 and 1, got {excess}")
        if history < 1 or run < 1:
            raise ValueError(f"history and run must be at least 1, got {history} and {run}")
        self.margin = margin
        self.recovery = recovery
        self.window = window
        self.in_use = in_use
        self.least = least
        self.run = run
        self.excess = excess
        #: 429s answered in a row, up to the last answer.
        self._in_a_row = 0
        #: CUBIC's ``C``, relative to the found rate: ``K`` = ``recovery``.
        self._c = (1 - margin) / recovery**3
        #: The rate the server accepted when it last answered 429 (``None``: no 429 yet).
        self.found: float | None = None
        #: How many times a 429 cut the pace.
        self.cuts = 0
        #: Seconds probed since the last cut (only while the writes used the pace).
        self._probed = 0.0
        self._clock: float | None = None
        self._cut_at = -math.inf
        #: Send times of the writes of the last two windows, and of those refused with 429.
        self._sends: deque[float] = deque()
        self._refused: deque[float] = deque()
        #: Answer times of the writes the server accepted in the last window, and the send
        #: times of those of the last two windows.
        self._accepted: deque[float] = deque()
        self._accepted_sends: deque[float] = deque()
        #: Answer times of the refusals of the last window.
        self._refusals: deque[float] = deque()
        #: Send times of the writes of the last window (the probe's clock, :meth:`_tick`).
        self._sent_recently: deque[float] = deque()
        #: Per window of answers (``answered // window``): [index, answers, refusals], the
        #: last one still counting.
        self._windows: deque[list[int]] = deque(maxlen=history + 1)
        #: The refused write of the last cut (sent, answered), until the writes sent in the
        #: window before it are answered (``_unanswered`` of them are not yet) and the found
        #: rate is counted again from them (:meth:`_refine`).
        self._refining: tuple[float, float] | None = None
        self._unanswered = 0

    @property
    def rate(self) -> float | None:
        """Writes per second to pace at now (``None``: no limit found, do not pace)."""
        if self.found is None:
            return None
        growth = self._c * (self._probed - self.recovery) ** 3
        return max(self.found * (1 + growth), self.least / self.window)

    def sent(self, at: float) -> None:
        """A write left at ``at``."""
        self._sends.append(at)
        self._sent_recently.append(at)
        self._forget(at)

    def observe(self, *, sent: float, answered: float, status: int) -> None:
        """The write sent at ``sent`` was answered at ``answered`` with HTTP ``status``."""
        self._forget(answered)
        self._tick(answered)
        refused = status == THROTTLED
        self._count(answered, refused)
        self._in_a_row = self._in_a_row + 1 if refused else 0
        if refused:
            self._refused.append(sent)
            self._refusals.append(answered)
            if (
                sent >= self._cut_at
                and answered >= self._cut_at + self.window
                and len(self._accepted) >= self.least
                and self._full()
            ):
                self._cut(sent, answered)
        else:
            self._accepted.append(answered)
            self._accepted_sends.append(sent)
        if self._refining is not None:
            self._refine(sent, answered)

    def delivery_rate(self, now: float) -> float:
        """Writes per second the server accepted over the last window. Early in a run, when
        fewer than a window's seconds have passed, still over a whole window: the server counts
        what its window holds, so a limit reached in half a second is that count per second,
        not twice it."""
        self._forget(now)
        return len(self._accepted) / self.window

    def refused_share(self) -> float:
        """The share of the answers of the last window that were 429s."""
        refused = len(self._refusals)
        return refused / max(refused + len(self._accepted), 1)

    def noise(self) -> float | None:
        """The share of refusals the server answers anyway: the median among the counted
        windows of at least ``least`` answers (``None``: none yet). The median, not the lowest:
        the lowest of eight windows at a 10% noise is ~6%, and a cut at every window above it
        froze the pace again; the windows of a probe above a limit are fewer than half."""
        counted = list(self._windows)[:-1]
        shares = [refused / answers for _, answers, refused in counted if answers >= self.least]
        return statistics.median(shares) if shares else None

    def threshold(self) -> float | None:
        """The share of refusals in the last window above which a 429 says the window is full
        (``None``: no window counted yet, only a :attr:`run` of 429s says it)."""
        noise = self.noise()
        if noise is None:
            return None
        answers = len(self._refusals) + len(self._accepted)
        error = math.sqrt(noise * (1 - noise) / max(answers, 1))
        return noise + max(self.excess, 4 * error)

    def _full(self) -> bool:
        """Whether the 429s say the server's window is full: a run of them, or a share above
        the one it refuses anyway."""
        if self._in_a_row >= self.run:
            return True
        threshold = self.threshold()
        return threshold is not None and self.refused_share() > threshold

    def recent_sends(self, now: float, within: float) -> list[float]:
        """The sends of the last ``within`` seconds that were not refused, oldest first: what
        the server's window holds (writes still unanswered count: they may be in it)."""
        refused = Counter(t for t in self._refused if t > now - within)
        kept = []
        for t in self._sends:
            if t <= now - within:
                continue
            if refused[t]:
                refused[t] -= 1
                continue
            kept.append(t)
        return kept

    def _cut(self, sent: float, now: float) -> None:
        # At once, from the answers of the last window; counted again from the sends once the
        # writes sent before the refused one are answered (:meth:`_refine`).
        self.found = self.delivery_rate(now)
        self._refining = (sent, now)
        start = sent - self.window
        answered = sum(1 for t in self._accepted_sends if start < t < sent)
        answered += sum(1 for t in self._refused if start < t < sent)
        self._unanswered = sum(1 for t in self._sends if start < t < sent) - answered
        self._probed = 0.0
        self._cut_at = now
        self.cuts += 1

    def _refine(self, sent: float, now: float) -> None:
        """Once the writes sent in the window before the refused one are answered (or a
        window after the cut), count the found rate as the server did: the writes accepted
        among them, if more than the answers counted at the 429. Then, answers to writes sent
        just before it may still be on their way (latencies vary), so the count of answers is a
        little low (244 for 250 on the loaded bench machine); the count of sends is low when the
        server counted some of them late (found 217 for 250 at load 1.8). A low found rate is a
        lower pace for the whole probe."""
        assert self._refining is not None
        refused_sent, refused_answered = self._refining
        if refused_sent - self.window < sent < refused_sent:
            self._unanswered -= 1
        if self._unanswered > 0 and now < refused_answered + self.window:
            return
        self._refining = None
        start = refused_sent - self.window
        accepted = sum(1 for t in self._accepted_sends if start < t < refused_sent)
        # Both counts can only be low (the server counts arrivals, which a stalled server
        # process or a busy client shifts from the send times): the higher one is kept.
        self.found = max(accepted / self.window, self.found or 0.0, self.least / self.window)

    def _tick(self, now: float) -> None:
        """Advance the probe's clock to ``now`` if the writes used the pace since the last
        answer."""
        last, self._clock = self._clock, now
        rate = self.rate
        if last is None or rate is None or now <= last:
            return
        # The writes *sent*, refused ones included: with a share refused at random, what the
        # server accepted stays under the pace however fully the writes use it.
        if len(self._sent_recently) / self.window >= self.in_use * rate:
            self._probed += now - last

    def _count(self, answered: float, refused: bool) -> None:
        """Count the answer in its window (for :meth:`noise`)."""
        index = math.floor(answered / self.window)
        windows = self._windows
        if not windows or windows[-1][0] != index:
            windows.append([index, 0, 0])
        windows[-1][1] += 1
        windows[-1][2] += refused

    def _forget(self, now: float) -> None:
        horizon = now - 2 * self.window
        for stamps in (self._sends, self._refused, self._accepted_sends):
            while stamps and stamps[0] <= horizon:
                stamps.popleft()
        for recent in (self._accepted, self._refusals, self._sent_recently):
            while recent and recent[0] <= now - self.window:
                recent.popleft()
