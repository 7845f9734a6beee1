"""Server logs and request labels: JSON lines, no credentials in URLs, route templates."""

from __future__ import annotations

import json
import logging
import sys

from starlette.responses import PlainTextResponse
from starlette.routing import Route

from quiver.api.observe import logged_path, route_of
from quiver.cli.serverlog import JsonFormatter, TextFormatter, level_number, logging_config, redact

SECRET = "qvr_" + "S" * 43


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("quiver.test", logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_redact_hides_the_userinfo_of_every_url() -> None:
    text = f"fetching https://__token__:{SECRET}@pypi.example/simple/ and postgresql://u:pw@db/q"
    assert redact(text) == "fetching https://***@pypi.example/simple/ and postgresql://***@db/q"
    assert redact("no url, a@b and https://host/path") == "no url, a@b and https://host/path"


def test_json_line_has_the_fields_and_extras_on_one_line() -> None:
    line = JsonFormatter().format(
        record("upstream %s failed", f"https://u:{SECRET}@up/simple/", status=502, path="/a/b")
    )
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "warning"
    assert data["logger"] == "quiver.test"
    assert data["message"] == "upstream https://***@up/simple/ failed"
    assert data["status"] == 502
    assert data["path"] == "/a/b"
    assert data["time"].endswith("Z")
    assert SECRET not in line


def test_json_line_carries_a_traceback_in_one_field() -> None:
    try:
        raise ValueError(f"bad https://x:{SECRET}@host/")
    except ValueError:
        failed = record("it failed")
        failed.exc_info = sys.exc_info()
    line = JsonFormatter().format(failed)
    data = json.loads(line)
    assert "ValueError" in data["exception"]
    assert "\n" not in line
    assert SECRET not in line


def test_text_lines_are_redacted_too() -> None:
    line = TextFormatter().format(record("url %s", f"http://a:{SECRET}@h/"))
    assert line.endswith("WARNING quiver.test: url http://***@h/")


def test_config_applies_one_format_to_every_logger() -> None:
    config = logging_config("trace", "json")
    assert config["formatters"]["quiver"]["()"].endswith("JsonFormatter")
    assert config["loggers"]["quiver"]["level"] == logging.DEBUG == level_number("trace")
    assert config["loggers"]["uvicorn.access"]["handlers"] == []
    assert config["root"]["handlers"] == ["stderr"]


def test_route_template_is_rebuilt_from_path_parameters() -> None:
    async def endpoint(request: object) -> PlainTextResponse:
        return PlainTextResponse("")

    route = Route("/_packaging/{feed}/pypi/simple/", endpoint)
    prefixed = {
        "route": route,
        "path": "/acme/web/_packaging/libs/pypi/simple/",
        "path_params": {"org": "acme", "project": "web", "feed": "libs"},
    }
    assert route_of(prefixed) == "/{org}/{project}/_packaging/{feed}/pypi/simple/"
    same_values = {**prefixed, "path": "/a/a/_packaging/a/pypi/simple/"}
    same_values["path_params"] = {"org": "a", "project": "a", "feed": "a"}
    assert route_of(same_values) == "/{org}/{project}/_packaging/{feed}/pypi/simple/"
    unknown = {**prefixed, "path_params": {"feed": "libs"}}
    assert route_of(unknown) == "/{prefix}/_packaging/{feed}/pypi/simple/"
    whole = {"route": route, "path": "/_packaging/libs/pypi/simple/", "path_params": {}}
    assert route_of(whole) == "/_packaging/{feed}/pypi/simple/"
    assert route_of({"path": "/x"}) == "unmatched"


def test_logged_path_drops_an_absolute_targets_host_and_userinfo() -> None:
    absolute = {"path": f"http://u:{SECRET}@127.0.0.1:8080/_apis/health", "root_path": ""}
    assert logged_path(absolute) == "/_apis/health"
    assert logged_path({"path": "/a/b/", "root_path": "/quiver"}) == "/quiver/a/b/"
