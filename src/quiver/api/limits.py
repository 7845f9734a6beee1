"""Per-address limits on what anyone may do without credentials (device login, sign-in).

* ``SlidingWindow`` counts events per key: at most ``limit`` in any ``window`` seconds.
* ``AuthLimits`` holds one window per flow, sized from the settings; one per app,
  made on first use (``auth_limits``).
* ``client_address`` is the key: the address uvicorn reports (a reverse proxy's
  ``X-Forwarded-For`` only when it comes from ``FORWARDED_ALLOW_IPS``), IPv6
  addresses by their /64, since one host usually holds a whole /64.

Everything here is in memory and per server process: with N processes an address
may do up to N times as much, and a restart forgets the counts.
"""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from fastapi import Request

from quiver.api.deps import get_context
from quiver.settings import Settings

MINUTE = 60.0
HOUR = 3600.0
# failed sign-ins per username and address, per minute (docs/guide/login.md)
FAILURES_PER_USER = 10


class SlidingWindow:
    """At most ``limit`` events per key in any ``window`` seconds.

    At most ``max_keys`` keys are remembered (the one whose latest event is
    oldest is forgotten first), so memory stays bounded whoever calls.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = {}

    def _recent(self, key: Hashable) -> deque[float]:
        times = self._events.get(key, deque())
        cutoff = self._clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        return times

    def wait(self, key: Hashable) -> float:
        """Seconds until one more event for ``key`` fits; 0.0 when it fits now."""
        times = self._recent(key)
        if len(times) < self.limit:
            return 0.0
        # the event whose leaving makes room
        return max(times[-self.limit] + self.window - self._clock(), 0.001)

    def record(self, key: Hashable) -> None:
        """Count one event for ``key`` now."""
        times = self._recent(key)
        times.append(self._clock())
        self._events.pop(key, None)
        self._events[key] = times  # newest last, so eviction takes the stalest
        while len(self._events) > self.max_keys:
            del self._events[next(iter(self._events))]

    def take(self, key: Hashable) -> float:
        """Count an event for ``key`` if it fits (0.0); else the seconds to wait, counting none."""
        wait = self.wait(key)
        if not wait:
            self.record(key)
        return wait

    def reset(self, key: Hashable) -> None:
        self._events.pop(key, None)


@dataclass
class AuthLimits:
    """The windows of the unauthenticated flows (docs/operations/security.md)."""

    starts: SlidingWindow  # device-login starts per address, per minute
    pending: SlidingWindow  # codes started per address within a code's lifetime
    lookups: SlidingWindow  # user codes looked up (page or form) per address, per minute
    user_failures: SlidingWindow  # failed sign-ins per (username, address), per minute
    address_failures: SlidingWindow  # failed sign-ins per address (any username), per hour

    @classmethod
    def of(cls, settings: Settings) -> AuthLimits:
        return cls(
            starts=SlidingWindow(settings.device_starts_per_minute, MINUTE),
            pending=SlidingWindow(
                settings.device_pending_per_address, settings.device_code_seconds
            ),
            lookups=SlidingWindow(settings.code_lookups_per_minute, MINUTE),
            user_failures=SlidingWindow(FAILURES_PER_USER, MINUTE),
            address_failures=SlidingWindow(settings.sign_in_failures_per_address, HOUR),
        )


def auth_limits(request: Request) -> AuthLimits:
    """The app's AuthLimits, made on first use from the app's settings."""
    limits: AuthLimits | None = getattr(request.app.state, "auth_limits", None)
    if limits is None:
        limits = AuthLimits.of(get_context(request).settings)
        request.app.state.auth_limits = limits
    return limits


def client_address(request: Request) -> str:
    """The key for per-address limits: the client's IPv4 address, or its IPv6 /64."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
