"""Running the real ``quiver`` client executable as a subprocess, for end-to-end tests.

* :func:`run_quiver` runs it once with an environment the test built itself;
  :func:`run_many` runs several such invocations at once.
* :class:`Cli` is bound to a :class:`~tests.support.server.LiveServer` and a private
  ``XDG_CONFIG_HOME``: by default every call talks to that server as its admin
  (``QUIVER_SERVER``/``QUIVER_TOKEN``), and each call may change or unset either.
* :func:`refused` checks the CLI's way of failing: an exit code and one ``error: ...`` line.

Every invocation gets ``stdin`` (empty unless given, never the terminal), captures text
output, does not raise on a non-zero exit and times out after 60 seconds.
"""

from __future__ import annotations

import enum
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypedDict, TypeVar, Unpack

if TYPE_CHECKING:  # server.py imports this module for QUIVER
    from tests.support.server import LiveServer

__all__ = [
    "LIVE",
    "QUIVER",
    "Cli",
    "Options",
    "Result",
    "refused",
    "run_many",
    "run_quiver",
    "without_quiver_settings",
]

#: The ``quiver`` executable of the environment running the tests.
QUIVER = Path(sys.executable).with_name("quiver")
#: Seconds one invocation may take.
TIMEOUT = 60.0

_T = TypeVar("_T")
_Call = TypeVar("_Call")


class _Live(enum.Enum):
    LIVE = "the live server's"


#: A :class:`Cli` call's default ``token``/``server``: the live server's admin token / URL.
LIVE: Final = _Live.LIVE


class Result(NamedTuple):
    """How one invocation ended: exit code, stdout, stderr (also unpacks as that tuple)."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.out)


def without_quiver_settings() -> dict[str, str]:
    """A copy of ``os.environ`` without any ``QUIVER_*`` variable."""
    return {k: v for k, v in os.environ.items() if not k.startswith("QUIVER_")}


def run_quiver(
    args: Sequence[str], env: Mapping[str, str], stdin: str = "", *, timeout: float = TIMEOUT
) -> Result:
    """Run ``quiver *args`` with exactly ``env``, ``stdin`` as its input."""
    done = subprocess.run(
        [str(QUIVER), *args],
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def _at_once(function: Callable[[_Call], _T], calls: Sequence[_Call]) -> list[_T]:
    """``function`` applied to each of ``calls`` in threads of its own; results in order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(function, calls))


def run_many(*calls: tuple[Sequence[str], Mapping[str, str]]) -> list[Result]:
    """Independent :func:`run_quiver` invocations, ``(args, env)`` each, at once.

    Each takes about a second to start, so a batch takes about as long as one.
    """
    return _at_once(lambda call: run_quiver(call[0], call[1]), calls)


class Options(TypedDict, total=False):
    """The keyword arguments of :meth:`Cli.__call__`."""

    token: str | _Live | None
    server: str | _Live | None
    stdin: str | None
    env: Mapping[str, str] | None


@dataclass
class Cli:
    """Runs ``quiver`` against ``server`` with its own config directory ``config``.

    The environment: this process's without ``QUIVER_*``, plus ``XDG_CONFIG_HOME=config``,
    ``COLUMNS=250`` (no wrapped tables), ``NO_COLOR=1``, ``QUIVER_SERVER`` and
    ``QUIVER_TOKEN`` (see ``token``/``server`` below), then a call's ``env``, which wins.
    """

    server: LiveServer
    config: Path

    def environment(
        self,
        token: str | _Live | None = LIVE,
        server: str | _Live | None = LIVE,
        env: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The environment of one call (see the class and :meth:`__call__`)."""
        child = without_quiver_settings()
        child.update(XDG_CONFIG_HOME=str(self.config), COLUMNS="250", NO_COLOR="1")
        server = self.server.url if server is LIVE else server
        token = self.server.admin_token if token is LIVE else token
        if server is not None:
            child["QUIVER_SERVER"] = server
        if token is not None:
            child["QUIVER_TOKEN"] = token
        child.update(env or {})
        return child

    def __call__(
        self,
        *args: str,
        token: str | _Live | None = LIVE,
        server: str | _Live | None = LIVE,
        stdin: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Result:
        """Run ``quiver *args``.

        ``token``/``server``: the value of ``QUIVER_TOKEN``/``QUIVER_SERVER``; :data:`LIVE`
        (the default) for the live server's admin token/URL, None to leave it unset.
        ``stdin``: the input (default: empty). ``env``: more variables, applied last.
        """
        return run_quiver(args, self.environment(token, server, env), stdin or "")

    def ok(self, *args: str, **options: Unpack[Options]) -> Result:
        """Like :meth:`__call__`, asserting exit code 0."""
        result = self(*args, **options)
        assert result.code == 0, result
        return result

    def many(self, *calls: Sequence[str], **options: Unpack[Options]) -> list[Result]:
        """Several independent invocations (argument lists) at once, with the same options."""
        return _at_once(lambda args: self(*args, **options), calls)


def refused(result: Result, code: int, *fragments: str) -> None:
    """Exit ``code`` with one ``error: ...`` line on stderr holding each fragment (any case)."""
    assert result.code == code, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith("error: "), result
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), result
