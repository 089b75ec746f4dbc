"""Client-side pacing, so a vendor's rate limit is respected before it answers 429."""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

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


class EvenPaceThrottle(RollingWindowThrottle):
    """At most ``max_requests`` per rolling ``per_seconds``, as one request every
    ``per_seconds / (max_requests - 1)`` (plus a 2% margin for clock skew) instead of bursts.

    Why this spacing is enough whatever the latency: a hook sends its next request only after the
    previous response, which the server counted when it arrived. So any ``max_requests + 1``
    consecutive arrivals span at least ``max_requests - 1`` intervals, more than ``per_seconds``,
    and the server never sees more than its limit in one window. Why evenly: a new task's hook
    knows nothing of what the previous task (same pool slot) sent a moment ago; bursting the whole
    budget at start could double it. Waiting one interval before the first request keeps the chain
    unbroken across tasks that run one after another.
    """

    def __init__(
        self,
        max_requests: int,
        per_seconds: float,
        *,
        margin: float = 0.02,
        **kwargs: Any,
    ) -> None:
        interval = per_seconds * (1 + margin) / max(max_requests - 1, 1)
        super().__init__(1, interval, **kwargs)
        self.interval = interval
        self._sent.append(self._clock())  # the previous task may have just sent its last request
