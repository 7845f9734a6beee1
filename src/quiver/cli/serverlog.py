"""The server's log lines on stderr: ``quiver.*``, uvicorn's and any other library's.

``QUIVER_LOG_FORMAT=text`` (the default) writes ``TIME LEVEL LOGGER: MESSAGE`` lines;
``json`` writes one JSON object per line with ``time`` (UTC, ISO 8601), ``level``,
``logger`` and ``message``, plus the fields a record carries: an access line
(``quiver.access``, written by ``quiver.api.observe``) adds ``method``, ``path``,
``route``, ``status``, ``duration_ms``, ``bytes`` and ``client``; a failure adds
``exception`` (the traceback, in one string).

``quiver.*`` records follow ``QUIVER_LOG_LEVEL`` (so the lifecycle job's one line
per run and the access lines show at ``info``); other libraries' records show from
``warning`` on. uvicorn's own access log is turned off: ``quiver.access`` replaces it
(with the duration, and without query strings). In either format a URL's userinfo
(``scheme://user:secret@host``) is written as ``scheme://***@host``.

uvicorn applies :func:`logging_config` in every server process it starts.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
import time
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")
# Starts only at "://" and stops at the first "/", so it reads each character a bounded
# number of times: it sees request paths (client input) in every access line. Matching the
# scheme too (``[A-Za-z][A-Za-z0-9+.-]*://``) retried every letter of a long word: a 100 KB
# URL took 20 s and held the whole server.
_USERINFO = re.compile(r"://[^/\s@?#]+@")
# attributes every LogRecord has: anything else on a record is a field it carries
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "color_message", "taskName"}
)


def redact(text: str) -> str:
    """``scheme://user:secret@host`` → ``scheme://***@host``, anywhere in ``text``."""
    return _USERINFO.sub("://***@", text)


class TextFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER: MESSAGE`` with credentials in URLs redacted."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if record.name == "uvicorn.error":
            # uvicorn's server log (startup, shutdown), not errors: "INFO uvicorn.error:
            # Application startup complete" reads like a failure to a newcomer
            record = logging.makeLogRecord({**vars(record), "name": "uvicorn"})
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (see the module docs)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            data["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            data["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(data, default=str)


def _utc(created: float) -> str:
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{whole}.{int(created % 1 * 1000):03d}Z"


def level_number(level: str) -> int:
    """``info`` → 20; uvicorn's ``trace`` (and anything unknown) → DEBUG."""
    number = logging.getLevelName(level.upper())
    return number if isinstance(number, int) else logging.DEBUG


def logging_config(level: str, log_format: str = "text") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server (uvicorn's ``log_config``)."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"quiver": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "stderr": {"()": f"{__name__}.stderr_handler", "formatter": "quiver"},
        },
        "loggers": {
            "quiver": {"handlers": ["stderr"], "level": level_number(level), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": logging.INFO, "propagate": False},
            "uvicorn.error": {"level": level_number(level)},
            # replaced by quiver.access (quiver.api.observe)
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": logging.WARNING},
    }


def stderr_handler() -> logging.Handler:
    """The one handler; Python warnings become records too, so they share the format."""
    logging.captureWarnings(True)
    return logging.StreamHandler(sys.stderr)


def configure(level: str, log_format: str = "text") -> None:
    """Apply :func:`logging_config` in this process (before uvicorn applies it again)."""
    logging.config.dictConfig(logging_config(level, log_format))
