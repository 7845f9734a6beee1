"""Fuzzing every operation of the OpenAPI document: never a 5xx, every 4xx a sentence.

Schemathesis turns each operation of ``/_apis/openapi.json`` into a Hypothesis
strategy of requests valid by the schema. Each drawn request is then sent as
generated, with the path naming things that exist (an org, feeds, a view, a user,
a package with versions, a token), or with one value made hostile (NUL, lone
surrogates in JSON, numbers past 64 bits, path tricks: ``tests/http/fuzzing.py``) —
anonymously and as the admin, on SQLite and on PostgreSQL, in-process. Operations
that delete come last, so the others meet the things they name.

``QUIVER_FUZZ_EXAMPLES`` examples per operation (default 6); see ``fuzzing.py`` for
running long. A failure lists every operation that answered 5xx, each shrunk by
Hypothesis to its smallest request.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import assume, given
from hypothesis import strategies as st
from schemathesis.core import NotSet
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation

from quiver.settings import Settings
from tests.http.fuzzing import (
    ADMIN,
    HOSTILE_NUMBERS,
    AppClient,
    fuzz_examples,
    fuzz_settings,
    hostile_text,
    running_app,
    unencodable_in_urls,
    verdict,
)
from tests.http.publishing import form_for, upload_url
from tests.support.dists import build_sdist, build_wheel

pytestmark = pytest.mark.fuzz
Operation = APIOperation[Any, Any, Any, Any]


@dataclass(frozen=True)
class Known:
    """Values of path parameters that name things the seeded server has."""

    values: dict[str, list[str]]
    admin_token_id: int


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def seed(client: AppClient, tmp_path: Path) -> Known:
    """An org with a project, public and private feeds, a view, a user and token, packages."""
    post = client.post
    _ok(post("/_apis/organizations", json={"name": "acme"}, headers=ADMIN), 201)
    _ok(post("/acme/_apis/projects", json={"name": "platform"}, headers=ADMIN), 201)
    for url, body in (
        ("/acme/_apis/packaging/feeds", {"name": "libs", "visibility": "public"}),
        ("/acme/_apis/packaging/feeds", {"name": "private"}),
        ("/acme/platform/_apis/packaging/feeds", {"name": "libs"}),
    ):
        _ok(post(url, json=body, headers=ADMIN), 201)
    _ok(post("/_apis/users", json={"username": "alice"}, headers=ADMIN), 201)
    token = _ok(post("/_apis/tokens", json={"name": "t", "user": "alice"}, headers=ADMIN), 201)
    feed = "/acme/_apis/packaging/feeds/libs"
    _ok(client.put(f"{feed}/permissions/alice", json={"role": "reader"}, headers=ADMIN))
    _ok(post(f"{feed}/views", json={"name": "staging"}, headers=ADMIN), 201)
    for path in (
        build_wheel(tmp_path, "Foo.Bar", "1.0"),
        build_wheel(tmp_path, "Foo.Bar", "2.0"),
        build_sdist(tmp_path, "Foo.Bar", "2.0"),
    ):
        files = {"content": (path.name, path.read_bytes(), "application/octet-stream")}
        _ok(post(upload_url("acme/libs"), data=form_for(path), files=files, headers=ADMIN))
    _ok(
        post(
            f"{feed}/packages/foo-bar/versions/1.0/promote", json={"view": "release"}, headers=ADMIN
        )
    )
    me = _ok(client.get("/_apis/users/me", headers=ADMIN))
    return Known(
        values={
            "org": ["acme"],
            "project": ["platform"],
            "feed": ["libs", "private", "libs@release", "libs@local"],
            "username": ["alice", "admin"],
            "user": ["alice", "admin"],
            "name": ["foo-bar", "Foo.Bar", "release"],
            "version": ["1.0", "2.0", "2"],
            "view": ["release", "staging", "local"],
            "token_id": [str(token["id"])],
        },
        admin_token_id=int(me["token_id"]),
    )


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every leaf of a JSON value (keys and indexes), the root included."""
    found: list[tuple[Any, ...]] = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _leaves(item, (*path, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(copy[path[0]], path[1:], new)
    return copy


def _mutate(data: st.DataObject, case: Any, operation: Operation, known: Known) -> None:
    """Name existing things (most of the time), then maybe make one value hostile."""
    for name in list(case.path_parameters or {}):
        if name in known.values and data.draw(st.integers(0, 3), label=f"known {name}?"):
            value = data.draw(st.sampled_from(known.values[name]), label=name)
            case.path_parameters[name] = quote(value, safe="")
    if not data.draw(st.booleans(), label="hostile?"):
        return
    places = [("path", p.name) for p in operation.path_parameters]
    places += [("query", p.name) for p in operation.query]
    if isinstance(case.body, dict | list):
        places += [("body", leaf) for leaf in _leaves(case.body)]
    if not places:
        return
    where, key = data.draw(st.sampled_from(places), label="hostile place")
    new: Any = data.draw(st.one_of(hostile_text(), st.sampled_from(HOSTILE_NUMBERS)))
    if where == "body":
        case.body = _replaced(case.body, key, new)
        return
    text = str(new)
    assume(not unencodable_in_urls(text))
    if where == "path":
        case.path_parameters[key] = quote(text, safe="")
    else:
        case.query = {**(case.query or {}), key: text}


def _request(case: Any) -> dict[str, Any]:
    """What ``AppClient.request`` takes for ``case``; JSON keeps lone surrogates escaped."""
    headers = {str(k): str(v) for k, v in (case.headers or {}).items()}
    request: dict[str, Any] = {
        "method": case.method.upper(),
        "url": case.formatted_path,
        "params": dict(case.query or {}),
        "headers": headers,
    }
    if isinstance(case.body, NotSet):
        return request
    media_type = case.media_type or "application/json"
    headers["Content-Type"] = media_type
    if isinstance(case.body, bytes):
        request["content"] = case.body
    elif media_type == "application/x-www-form-urlencoded" and isinstance(case.body, dict):
        form = {str(k): str(v) for k, v in case.body.items()}
        assume(not any(unencodable_in_urls(k + v) for k, v in form.items()))
        request["data"] = form
    else:
        request["content"] = json.dumps(case.body).encode()  # ensure_ascii: \ud800 stays
    return request


def fuzz_operation(client: AppClient, operation: Operation, known: Known, examples: int) -> None:
    """Hypothesis over one operation; AssertionError (shrunk) on a 5xx or a bad 4xx."""

    @fuzz_settings(examples)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy(), label="case")
        _mutate(data, case, operation, known)
        assume(case.path_parameters.get("token_id") != str(known.admin_token_id))
        request = _request(case)
        sent = (request["params"], request.get("content") or request.get("data"))
        what = f"{request['method']} {request['url']} {sent!r}"
        verdict(client.request(**request), "anonymous " + what)
        request["headers"] = {**request["headers"], **ADMIN}
        verdict(client.request(**request), "admin " + what)

    run()


def _operations(schema: Any) -> list[Operation]:
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found.append(result.ok())
    return found


def _order(operation: Operation) -> tuple[bool, str, str]:
    return (operation.method.lower() == "delete", operation.path, operation.method)


def test_no_operation_answers_5xx(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    examples = fuzz_examples()
    failures: list[str] = []
    with running_app(settings, monkeypatch) as client:
        known = seed(client, tmp_path / "dists")
        schema = schemathesis.openapi.from_dict(client.app.openapi())
        operations = sorted(_operations(schema), key=_order)
        assert len(operations) > 50
        for operation in operations:
            try:
                fuzz_operation(client, operation, known, examples)
            except Exception as err:  # one failure or a group of them, each shrunk
                trace = "".join(traceback.format_exception(err))
                failures.append(f"{operation.method.upper()} {operation.path}: {trace}")
    assert failures == [], "\n\n".join(failures)
