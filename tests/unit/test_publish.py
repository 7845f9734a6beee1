"""The pure parts of ``quiver publish``: which files a command line names, what is sent for
each, what an answer means, and the engine driven through a mock transport."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import threading
from pathlib import Path

import httpx
import pytest

from quiver.cli.client import ConfigError, Credentials
from quiver.cli.distfiles import Distribution, collect, name_and_version
from quiver.cli.publish import (
    Event,
    Finished,
    Outcome,
    Result,
    Sent,
    Started,
    answer_message,
    classify,
    exit_code,
    upload,
    upload_fields,
    upload_url,
)

TOKEN = "qvr_" + "p" * 43
SERVER = "http://quiver.test"
WHEEL = "pkg-1.0-py3-none-any.whl"


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def names(found: list[Distribution]) -> list[str]:
    return [file.filename for file in found]


def refused_config(paths: list[str], *fragments: str) -> None:
    with pytest.raises(ConfigError) as caught:
        collect(paths)
    assert caught.value.exit_code == 2
    assert "\n" not in caught.value.message
    for fragment in fragments:
        assert fragment in caught.value.message


# --- which files ------------------------------------------------------------------------


def test_a_directory_gives_its_distributions_by_name_and_ignores_the_rest(tmp_path: Path) -> None:
    for name in ("b-1.0.tar.gz", "a-1.0-py3-none-any.whl", "c-1.0.zip", "README", "x.txt"):
        touch(tmp_path / "dist" / name)
    touch(tmp_path / "dist" / "sub" / "d-1.0-py3-none-any.whl")  # not directly in it
    (tmp_path / "dist" / "e-1.0-py3-none-any.whl").mkdir()  # a directory, not a file
    found = collect([str(tmp_path / "dist")])
    assert names(found) == ["a-1.0-py3-none-any.whl", "b-1.0.tar.gz", "c-1.0.zip"]
    assert all(file.size == 1 for file in found)


def test_files_come_once_in_argument_order(tmp_path: Path) -> None:
    wheel = touch(tmp_path / "dist" / WHEEL)
    sdist = touch(tmp_path / "dist" / "pkg-1.0.tar.gz")
    (tmp_path / "link.whl").symlink_to(wheel)  # another name for the same file: not a new one
    found = collect([str(sdist), str(tmp_path / "dist"), str(wheel), str(tmp_path / "link.whl")])
    assert names(found) == ["pkg-1.0.tar.gz", WHEEL]
    assert found[0].path == sdist


def test_patterns_the_shell_did_not_expand_are_expanded(tmp_path: Path) -> None:
    touch(tmp_path / "dist" / WHEEL)
    touch(tmp_path / "dist" / "pkg-1.0.tar.gz")
    touch(tmp_path / "dist" / "notes.txt")
    touch(tmp_path / "deep" / "one" / "deep-1.0-py3-none-any.whl")
    assert names(collect([f"{tmp_path}/dist/*.whl"])) == [WHEEL]
    # Non-distributions a pattern matches are ignored, as in a directory.
    assert names(collect([f"{tmp_path}/dist/*"])) == [WHEEL, "pkg-1.0.tar.gz"]
    assert names(collect([f"{tmp_path}/deep/**/*.whl"])) == ["deep-1.0-py3-none-any.whl"]
    # A matched directory counts as the directory.
    assert names(collect([f"{tmp_path}/d?st"])) == [WHEEL, "pkg-1.0.tar.gz"]


def test_a_file_whose_name_looks_like_a_pattern_is_that_file(tmp_path: Path) -> None:
    odd = touch(tmp_path / "[odd]" / WHEEL)
    assert [file.path for file in collect([str(odd)])] == [odd]


def test_what_names_nothing_is_a_usage_error(tmp_path: Path) -> None:
    touch(tmp_path / "dist" / "README")
    (tmp_path / "empty").mkdir()
    refused_config([str(tmp_path / "missing.whl")], "No such file or directory", "missing.whl")
    refused_config([f"{tmp_path}/nothing/*.whl"], "matches no distribution file")
    refused_config([f"{tmp_path}/dist/*"], "matches no distribution file")
    refused_config([str(tmp_path / "empty")], "holds no distribution file")
    refused_config([], "No files to publish")


def test_a_named_file_that_is_not_a_distribution_is_refused_before_anything(
    tmp_path: Path,
) -> None:
    touch(tmp_path / "dist" / WHEEL)
    readme = touch(tmp_path / "dist" / "README.md")
    refused_config([str(tmp_path / "dist"), str(readme)], "README.md", "not a distribution")


def test_two_different_files_of_one_name_are_refused(tmp_path: Path) -> None:
    touch(tmp_path / "a" / WHEEL)
    touch(tmp_path / "b" / WHEEL.upper().replace(".WHL", ".whl"))
    refused_config([str(tmp_path / "a"), str(tmp_path / "b")], "Two different files")


def test_what_a_file_name_says() -> None:
    wheel = Distribution(Path("d/My_Pkg-2.0.post1-1-cp312-cp312-manylinux_2_17_x86_64.whl"), 1)
    assert (wheel.filetype, wheel.pyversion) == ("bdist_wheel", "cp312")
    assert Distribution(Path("a-1-py2.py3-none-any.whl"), 1).pyversion == "py2.py3"
    assert Distribution(Path("broken.whl"), 1).pyversion is None
    for sdist in ("a-1.0.tar.gz", "a-1.0.zip"):
        assert (Distribution(Path(sdist), 1).filetype, Distribution(Path(sdist), 1).pyversion) == (
            "sdist",
            "source",
        )
    assert name_and_version("My_Pkg-2.0.post1-1-cp312-cp312-linux_x86_64.whl") == (
        "my-pkg",
        "2.0.post1",
    )
    assert name_and_version("Foo.Bar-1.0.tar.gz") == ("foo-bar", "1.0")
    assert name_and_version("not a wheel.whl") is None
    assert name_and_version("noversion.tar.gz") is None


def test_the_form_fields() -> None:
    assert upload_fields(Distribution(Path(WHEEL), 3), "ab" * 32) == {
        ":action": "file_upload",
        "protocol_version": "1",
        "sha256_digest": "ab" * 32,
        "filetype": "bdist_wheel",
        "pyversion": "py3",
        "name": "pkg",
        "version": "1.0",
    }
    sdist = upload_fields(Distribution(Path("pkg-1.0.zip"), 3), "cd" * 32)
    assert (sdist["filetype"], sdist["pyversion"]) == ("sdist", "source")
    # A name that cannot be parsed goes without name and version: the server answers.
    unparsed = upload_fields(Distribution(Path("weird.tar.gz"), 3), "ef" * 32)
    assert "name" not in unparsed and "version" not in unparsed


def test_upload_url() -> None:
    assert upload_url(SERVER, "acme/libs") == f"{SERVER}/acme/_packaging/libs/pypi/upload/"
    assert upload_url(SERVER + "/", "acme/web/libs") == (
        f"{SERVER}/acme/web/_packaging/libs/pypi/upload/"
    )
    for bad in ("acme", "acme/libs@release", "a/b/c/d"):
        with pytest.raises(ConfigError):
            upload_url(SERVER, bad)


# --- what an answer means ----------------------------------------------------------------

FILE = Distribution(Path(WHEEL), 10)
LOCAL = "1" * 64
EXISTS = "File already exists: pkg-1.0-py3-none-any.whl is already in feed acme/libs."


def exists_body(sha256: str | None) -> dict[str, str]:
    body = {"message": EXISTS, "code": "file_exists"}
    if sha256 is not None:
        body["sha256"] = sha256
    return body


def test_a_2xx_is_published_with_the_servers_warnings() -> None:
    outcome = classify(FILE, LOCAL, 200, {"message": "ok"}, "ok", skip_existing=False)
    assert (outcome.result, outcome.status, outcome.sha256) == (Result.PUBLISHED, 200, LOCAL)
    assert outcome.warnings == ()
    body = {"message": "ok", "warnings": ["License-File\n  missing.", "", 3]}
    warned = classify(FILE, LOCAL, 201, body, "ok", skip_existing=False)
    assert (warned.result, warned.warnings) == (Result.PUBLISHED, ("License-File missing.",))


def test_the_same_file_is_already_there_only_with_skip_existing() -> None:
    there = classify(FILE, LOCAL, 409, exists_body(LOCAL.upper()), EXISTS, skip_existing=True)
    assert (there.result, there.reason) == (Result.ALREADY_THERE, EXISTS)
    refused = classify(FILE, LOCAL, 409, exists_body(LOCAL), EXISTS, skip_existing=False)
    assert (refused.result, refused.reason) == (Result.REFUSED, EXISTS)
    assert refused.identical_exists


def test_a_different_file_of_that_name_is_refused_even_with_skip_existing() -> None:
    other = "2" * 64
    outcome = classify(FILE, LOCAL, 409, exists_body(other), EXISTS, skip_existing=True)
    assert outcome.result is Result.REFUSED
    assert not outcome.identical_exists
    assert outcome.reason.startswith("The feed has a different file of that name")
    assert other in outcome.reason and EXISTS in outcome.reason
    # A server that does not say which file it has: refused with its reason.
    unsaid = classify(FILE, LOCAL, 409, exists_body(None), EXISTS, skip_existing=True)
    assert (unsaid.result, unsaid.reason) == (Result.REFUSED, EXISTS)


def test_other_conflicts_and_errors_are_refused() -> None:
    binned = {"message": "Version 1.0 of pkg is in the recycle bin."}
    for status, body in ((409, binned), (403, {"message": "no"}), (400, None), (500, None)):
        outcome = classify(FILE, LOCAL, status, body, "why", skip_existing=True)
        assert (outcome.result, outcome.status, outcome.reason) == (Result.REFUSED, status, "why")


def test_answer_message() -> None:
    assert answer_message(400, {"message": "Bad\n  wheel. "}, "Bad Request") == "Bad wheel."
    assert answer_message(502, None, "Bad Gateway") == "The server answered 502 Bad Gateway."
    assert answer_message(400, {"message": ""}, "") == "The server answered 400."


def test_exit_code() -> None:
    def outcome(result: Result) -> Outcome:
        return Outcome(FILE, result)

    assert exit_code([]) == 0
    assert exit_code([outcome(Result.PUBLISHED), outcome(Result.ALREADY_THERE)]) == 0
    assert exit_code([outcome(Result.PUBLISHED), outcome(Result.REFUSED)]) == 1
    assert exit_code([outcome(Result.REFUSED), outcome(Result.FAILED)]) == 3


# --- the engine, through a mock transport --------------------------------------------------


def form_of(request: httpx.Request) -> dict[str, bytes]:
    """The multipart fields of ``request`` (values as bytes)."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.read())
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        fields[str(part.get_param("name", header="content-disposition"))] = payload
    return fields


def dists(tmp_path: Path, count: int) -> list[Distribution]:
    for index in range(count):
        touch(tmp_path / f"pkg{index}-1.0-py3-none-any.whl", bytes([index]) * (100_000 + index))
    return collect([str(tmp_path)])


def test_upload_sends_each_file_with_its_fields_and_token(tmp_path: Path) -> None:
    found = dists(tmp_path, 5)
    seen: dict[str, dict[str, bytes]] = {}
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url == f"{SERVER}/acme/_packaging/libs/pypi/upload/"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        form = form_of(request)
        with lock:
            seen[form["name"].decode()] = form
        if form["name"] == b"pkg3":
            return httpx.Response(400, json={"message": "pkg3 is not a valid zip archive."})
        return httpx.Response(200, json={"message": "Published."})

    events: list[Event] = []
    outcomes = upload(
        Credentials(SERVER, TOKEN),
        "acme/libs",
        found,
        jobs=3,
        on_progress=events.append,
        transport=httpx.MockTransport(handler),
    )
    assert [o.file for o in outcomes] == found  # in the order given
    assert [o.result for o in outcomes] == [Result.PUBLISHED] * 3 + [
        Result.REFUSED,
        Result.PUBLISHED,
    ]
    assert outcomes[3].reason == "pkg3 is not a valid zip archive."
    for file in found:
        form = seen[file.filename.split("-")[0]]
        data = file.path.read_bytes()
        assert form["content"] == data
        assert form["sha256_digest"].decode() == hashlib.sha256(data).hexdigest()
        assert (form[":action"], form["filetype"], form["pyversion"]) == (
            b"file_upload",
            b"bdist_wheel",
            b"py3",
        )
        mine = [e for e in events if getattr(e, "file", None) == file]
        assert isinstance(mine[0], Started)
        assert max(e.sent for e in mine if isinstance(e, Sent)) == file.size
    assert sum(isinstance(e, Finished) for e in events) == len(found)


def test_once_the_server_cannot_be_reached_the_rest_is_not_sent(tmp_path: Path) -> None:
    found = dists(tmp_path, 3)
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    outcomes = upload(
        Credentials(SERVER, TOKEN),
        "acme/libs",
        found,
        jobs=1,
        transport=httpx.MockTransport(handler),
    )
    assert len(calls) == 1
    assert [o.result for o in outcomes] == [Result.FAILED] * 3
    assert outcomes[0].reason == f"Cannot reach {SERVER}: [Errno 111] Connection refused"
    assert all(o.reason.startswith("Not sent: Cannot reach") for o in outcomes[1:])
    assert exit_code(outcomes) == 3


def test_skip_existing_and_redirects_through_the_engine(tmp_path: Path) -> None:
    found = dists(tmp_path, 3)
    digests = {f.filename: hashlib.sha256(f.path.read_bytes()).hexdigest() for f in found}

    def handler(request: httpx.Request) -> httpx.Response:
        name = form_of(request)["name"].decode()
        if name == "pkg0":
            return httpx.Response(409, json=exists_body(digests[found[0].filename]))
        if name == "pkg1":
            return httpx.Response(409, json=exists_body("0" * 64))
        return httpx.Response(308, headers={"location": f"https://u:{TOKEN}@elsewhere.test/up/"})

    outcomes = upload(
        Credentials(SERVER, TOKEN),
        "acme/libs",
        found,
        skip_existing=True,
        transport=httpx.MockTransport(handler),
    )
    assert [o.result for o in outcomes] == [Result.ALREADY_THERE, Result.REFUSED, Result.REFUSED]
    assert "different file" in outcomes[1].reason
    assert (
        outcomes[2].reason == f"{SERVER} redirects to https://elsewhere.test/up/: use that address."
    )
    assert exit_code(outcomes) == 1
    assert not any(TOKEN in json.dumps(o.reason) for o in outcomes)


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        upload(Credentials(SERVER, TOKEN), "acme/libs", dists(tmp_path, 1), jobs=0)
