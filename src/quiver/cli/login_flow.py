"""The client side of the device login: ask for a code pair, then poll for the token.

No output here: ``quiver login`` shows the code and the spinner. Polling keeps to
the server's interval (plus 5 s after each ``slow_down``, as RFC 8628 asks).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quiver.cli.client import Client, ClientError
from quiver.domain.devicecodes import DEVICE_GRANT_TYPE

SLOW_DOWN_STEP = 5

_REFUSALS = {
    "access_denied": "The login was denied in the browser.",
    "expired_token": "The code expired before it was approved: run 'quiver login' again.",
}


@dataclass(frozen=True)
class Started:
    """A device login the server opened; ``device_code`` is the secret to poll with."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int

    @classmethod
    def of(cls, data: dict[str, Any]) -> Started:
        try:
            return cls(
                device_code=str(data["device_code"]),
                user_code=str(data["user_code"]),
                verification_uri=str(data["verification_uri"]),
                verification_uri_complete=str(data["verification_uri_complete"]),
                expires_in=int(data["expires_in"]),
                interval=max(1, int(data["interval"])),
            )
        except (KeyError, TypeError, ValueError):
            raise ClientError("The server's device-login answer is incomplete.") from None


def start(client: Client, *, scope: str, expires_in_days: int, client_name: str) -> Started:
    """Open a device login for a token of ``scope`` living ``expires_in_days``."""
    body = {"scope": scope, "expires_in_days": expires_in_days, "client_name": client_name}
    data = client.post("/_apis/auth/device", body)
    if not isinstance(data, dict):
        raise ClientError("The server's device-login answer is not a JSON object.")
    return Started.of(data)


def wait_for_token(
    client: Client, started: Started, *, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    """Poll until the person decides; the token answer, or ClientError (denied, expired...)."""
    interval = started.interval
    body = {"grant_type": DEVICE_GRANT_TYPE, "device_code": started.device_code}
    while True:
        sleep(interval)
        try:
            answer = client.post("/_apis/auth/token", body)
        except ClientError as err:
            error = err.data.get("error")
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                interval += SLOW_DOWN_STEP
                continue
            raise ClientError(_REFUSALS.get(str(error), err.message), err.status) from None
        if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
            raise ClientError("The server's token answer has no token.")
        return answer
