"""Client-side pacing, so a vendor's rate limit is respected before it answers 429."""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Mapping

from requests.structures import CaseInsensitiveDict

log = logging.getLogger(__name__)


class Throttle:
    """No pacing. Subclasses wait in :meth:`before_request` and learn from :meth:`after_response`.

    Every throttle can also be held (:meth:`hold`): after a 429 the transport holds it for the
    pause the server asked for, so every thread of a concurrent extract waits, not only the one
    that was told (see :mod:`airflow_provider_lms.concurrent_pages`).
    """

    _hold_until: float = 0.0  # monotonic time before which no request may start
    _hold_owner: int | None = None  # the thread that was told: it already waits in its retry

    def hold(self, seconds: float) -> None:
        """No request through this throttle starts in the next ``seconds`` (other threads wait)."""
        until = time.monotonic() + seconds
        if until > self._hold_until:
            self._hold_until, self._hold_owner = until, threading.get_ident()

    def held_for(self) -> float:
        """Seconds this thread must still wait for another thread's :meth:`hold` (0 when none)."""
        if not self._hold_until or self._hold_owner == threading.get_ident():
            return 0.0
        return max(0.0, self._hold_until - time.monotonic())

    def before_request(self) -> None:
        return None

    def after_response(self, headers: Mapping[str, str]) -> None:
        return None

    def request_finished(self) -> None:
        """The request this thread sent last has its response (or failed): called by the transport
        once the server has surely counted it, before the body is read or any retry waits."""
        return None


class RollingWindowThrottle(Throttle):
    """At most ``max_requests`` per ``per_seconds`` in any rolling window (30 / 10 s, say)."""

    def __init__(
        self,
        max_requests: int,
        per_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_requests, self.per_seconds = max_requests, per_seconds
        self._clock, self._sleep = clock, sleep
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def before_request(self) -> None:
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.per_seconds:
                    self._sent.popleft()
                if len(self._sent) < self.max_requests:
                    self._sent.append(now)
                    return
                pause = self.per_seconds - (now - self._sent[0]) + 0.001
                self.waited += pause
                self._sleep(pause)


class RemainingQuotaThrottle(Throttle):
    """Slows down when the vendor's "requests remaining" header runs low (per minute, say).

    With ``remaining`` requests left in a window of ``window_seconds``, the next request waits
    ``window_seconds / (remaining + 1)`` once ``remaining`` is at or below ``low_water``: the budget
    is spread over the rest of the window instead of being spent and answered with 429.
    """

    def __init__(
        self,
        header: str,
        *,
        window_seconds: float = 60.0,
        low_water: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.header, self.window_seconds, self.low_water = header.lower(), window_seconds, low_water
        self._sleep = sleep
        self._pause = 0.0
        self.waited = 0.0
        self._lock = threading.Lock()  # concurrent requests read and set the pause

    def after_response(self, headers: Mapping[str, str]) -> None:
        if not isinstance(headers, CaseInsensitiveDict):
            headers = CaseInsensitiveDict(headers)
        value = headers.get(self.header)
        try:
            remaining = int(value) if value is not None else None
        except ValueError:
            remaining = None
        if remaining is not None and remaining < 0:
            remaining = 0  # a negative count (seen in the wild) means "none left", not a crash
        with self._lock:
            if remaining is None or remaining > self.low_water:
                self._pause = 0.0
            else:
                self._pause = self.window_seconds / (remaining + 1)
                log.info("%s=%d: pacing the next request by %.1f s", self.header, remaining, self._pause)

    def before_request(self) -> None:
        with self._lock:  # one thread takes the pause; the others queue behind it
            if self._pause > 0:
                self.waited += self._pause
                self._sleep(self._pause)
                self._pause = 0.0


#: Most requests an even-paced client keeps in flight, and so what every client allows for at its
#: start (see :class:`EvenPaceThrottle`). Three requests a second leave nothing to gain beyond it
#: unless a response takes over a second.
PACED_CONCURRENCY_CAP = 4


class EvenPaceThrottle(Throttle):
    """At most ``max_requests`` (M) per rolling ``per_seconds`` (W), as evenly spaced sends with up
    to ``concurrency`` (c) requests in flight, instead of bursts.

    Two rules: sends are at least ``interval = W x 1.02 / (M - c)`` apart (2% for clock skew), and
    request n is sent only once every request up to n - c has finished (its response came, or it
    failed), so the server has counted it. Why no window then sees M + 1 arrivals, whatever the
    latency: of any M + 1 arrivals, the first sent (a) and the last sent (b) are at least M sends
    apart. Request a + c was sent after a arrived, and b at least M - c intervals after a + c, so
    b arrives more than W after a. With c = 1 this is the sequential client, ``interval = W/(M-1)``.

    Why evenly: a new task's hook knows nothing of what the previous task (same pool slot) sent a
    moment ago; bursting the whole budget at start could double it. Every request of that task has
    finished, with at most :data:`PACED_CONCURRENCY_CAP` sent in its last moments, so the first
    request of this one waits that many sequential intervals, which keeps the chain unbroken.
    """

    def __init__(
        self,
        max_requests: int,
        per_seconds: float,
        *,
        concurrency: int = 1,
        margin: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Never more in flight than the limit leaves room for (and never below one).
        self.concurrency = max(1, min(concurrency, PACED_CONCURRENCY_CAP, max_requests - 1))
        self.max_requests, self.per_seconds = max_requests, per_seconds
        sequential = per_seconds * (1 + margin) / max(max_requests - 1, 1)
        self.interval = per_seconds * (1 + margin) / max(max_requests - self.concurrency, 1)
        self._clock, self._sleep = clock, sleep
        self._changed = threading.Condition()
        self._next_number = 0
        self._unfinished: set[int] = set()
        self._mine = threading.local()
        self.waited = 0.0
        # The previous task may have just sent its last requests (up to the cap of them at once).
        self._last_send = self._clock() + (PACED_CONCURRENCY_CAP - 1) * sequential

    def before_request(self) -> None:
        with self._changed:
            while True:
                number = self._next_number  # numbered when sent, so numbers are the send order
                # Rule 2: every request up to number - c has finished (the lock is released while
                # waiting, and a finish wakes us).
                if any(n <= number - self.concurrency for n in self._unfinished):
                    self._changed.wait()
                    continue
                # Rule 1: one interval since the previous send (sleeping with the lock held, so no
                # other request is sent meanwhile; finishes wait for it, which only delays them).
                pause = self._last_send + self.interval - self._clock()
                if pause > 0:
                    self.waited += pause
                    self._sleep(pause)
                    continue
                break
            self._next_number += 1
            self._last_send = self._clock()
            self._unfinished.add(number)
            self._mine.number = number

    def request_finished(self) -> None:
        number = getattr(self._mine, "number", None)
        if number is None:
            return
        self._mine.number = None
        with self._changed:
            self._unfinished.discard(number)
            self._changed.notify_all()
