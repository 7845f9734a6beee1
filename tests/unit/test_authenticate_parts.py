"""The pieces behind pip-authenticate, twine-authenticate and connect: output formats,
service connections, index lists that do not stack, the temporary .pypirc, snippets."""

from __future__ import annotations

import json
import shlex
import stat
import subprocess
from pathlib import Path

import pytest

from quiver.cli.client import ConfigError
from quiver.cli.connections import embed_credentials, load_connections
from quiver.cli.envformat import FormatError, OutputFormat, render
from quiver.cli.indexes import is_replaced, masked, merged, secrets_of
from quiver.cli.pypirc import MARKER, Repository, is_ours, remove_previous, write_pypirc
from quiver.domain.errors import Invalid
from quiver.domain.snippets import TOOLS, connect_snippets, env_name, index_url, source_name

SECRET = "qvr_" + "s" * 43
URL = f"https://quiver:{SECRET}@feeds.example/acme/_packaging/libs/pypi/simple/"
VARIABLES = [("PIP_INDEX_URL", URL), ("PIP_EXTRA_INDEX_URL", ""), ("X", "it's a b%c")]


def test_shell_format_evaluates_to_the_values() -> None:
    text = render(OutputFormat.SHELL, VARIABLES, [SECRET])
    assert "unset PIP_EXTRA_INDEX_URL\n" in text
    script = f"PIP_EXTRA_INDEX_URL=old\n{text}\nprintf '%s|%s|%s' \"$PIP_INDEX_URL\" "
    script += '"${PIP_EXTRA_INDEX_URL-unset}" "$X"'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == f"{URL}|unset|it's a b%c"


def test_dotenv_json_github_and_azure(tmp_path: Path) -> None:
    assert render(OutputFormat.DOTENV, VARIABLES).splitlines() == [
        f"PIP_INDEX_URL={URL}",
        "PIP_EXTRA_INDEX_URL=",
        "X=it's a b%c",
    ]
    assert json.loads(render(OutputFormat.JSON, VARIABLES)) == dict(VARIABLES)
    with pytest.raises(FormatError, match="line break"):
        render(OutputFormat.DOTENV, [("A", "x\ny")])

    github_env = tmp_path / "github_env"
    github_env.write_text("EARLIER=1\n")
    out = render(
        OutputFormat.GITHUB,
        [*VARIABLES, ("M", "two\nlines")],
        [SECRET, SECRET, URL, "50%"],
        environ={"GITHUB_ENV": str(github_env)},
    )
    assert out.splitlines() == [f"::add-mask::{SECRET}", f"::add-mask::{URL}", "::add-mask::50%25"]
    lines = github_env.read_text().splitlines()
    assert lines[:4] == [
        "EARLIER=1",
        f"PIP_INDEX_URL={URL}",
        "PIP_EXTRA_INDEX_URL=",
        "X=it's a b%c",
    ]
    assert lines[4].startswith("M<<ghadelimiter_")
    assert lines[5:] == ["two", "lines", lines[4].partition("<<")[2]]
    with pytest.raises(FormatError, match="GITHUB_ENV"):
        render(OutputFormat.GITHUB, VARIABLES, environ={})

    azure = render(OutputFormat.AZURE, VARIABLES, [SECRET]).splitlines()
    assert azure == [
        f"##vso[task.setsecret]{SECRET}",
        f"##vso[task.setvariable variable=PIP_INDEX_URL]{URL}",
        "##vso[task.setvariable variable=PIP_EXTRA_INDEX_URL]",
        "##vso[task.setvariable variable=X]it's a b%AZP25c",
    ]


def test_index_lists_replace_our_entries_and_keep_foreign_ones() -> None:
    server = "http://127.0.0.1:8080"
    ours = ["http://alice:T2@127.0.0.1:8080/acme/_packaging/libs/pypi/simple/"]
    current = (
        "https://pypi.example/simple/ http://bob:T1@127.0.0.1:8080/acme/_packaging/libs/pypi/simple/"
        " http://127.0.0.1:80/other/ old=http://x:y@127.0.0.1:8080/acme/_packaging/old/pypi/simple"
    )
    once = merged(current, ours, server)
    assert once.split() == [ours[0], "https://pypi.example/simple/", "http://127.0.0.1:80/other/"]
    assert merged(once, ours, server) == once
    # A server under a path prefix owns only that prefix.
    assert is_replaced("https://h/quiver/acme/x", "https://h/quiver", [])
    assert not is_replaced("https://h/quiverx/acme/x", "https://h/quiver", [])
    assert is_replaced("https://H:443/quiver", "https://h/quiver", [])
    # A service connection being added replaces its earlier self, whatever its credentials.
    assert is_replaced("https://u:p@pypi.example/simple", None, ["https://pypi.example/simple/"])
    assert not is_replaced("https://h:bad/", "https://h", [])
    assert masked(URL) == "https://***@feeds.example/acme/_packaging/libs/pypi/simple/"
    assert secrets_of("a b", None, "") == ["a b", "a%20b"]


def test_service_connections(tmp_path: Path) -> None:
    file = tmp_path / "connections.toml"
    file.write_text(
        "[connections.corp]\n"
        'url = "https://pypi.corp.example/simple/"\n'
        'upload_url = "https://pypi.corp.example/upload/"\n'
        'username = "ci"\npassword_env = "CORP_PW"\n'
        "[connections.open]\n"
        'url = "https://mirror.example/simple/"\n'
        "[connections.tok]\n"
        'url = "https://t.example/simple/"\ntoken_env = "T"\nusername_env = "U"\n'
    )
    env = {"CORP_PW": "p@ss:w/rd", "T": "tkn", "U": "me"}
    corp, anonymous, tok = load_connections(["corp", "open", "tok"], file, env)
    assert corp.index_url() == "https://ci:p%40ss%3Aw%2Frd@pypi.corp.example/simple/"
    assert corp.repository_url() == "https://pypi.corp.example/upload/"
    assert anonymous.index_url() == "https://mirror.example/simple/"
    assert tok.index_url() == "https://me:tkn@t.example/simple/"
    with pytest.raises(ConfigError, match="no upload_url"):
        anonymous.repository_url()
    assert load_connections([], tmp_path / "missing.toml") == []

    def refused(names: list[str], fragment: str, text: str | None = None) -> None:
        if text is not None:
            file.write_text(text)
        with pytest.raises(ConfigError, match=fragment):
            load_connections(names, file, {})

    refused(["corp"], "CORP_PW is not set")
    refused(["nope"], "No service connection 'nope'.*corp, open, tok")
    with pytest.raises(ConfigError, match="No connections file"):
        load_connections(["x"], tmp_path / "missing.toml", {})
    typo = '[connections.a]\nurl = "https://a/"\npasword_env = "X"\n'
    refused(["a"], "unknown key 'pasword_env'", typo)
    refused(["a"], "not valid TOML", "[connections.a\n")
    refused(["a"], "must not hold credentials", '[connections.a]\nurl = "https://u:p@a/"\n')
    refused(["a"], "http", '[connections.a]\nurl = "ftp://a/"\n')
    refused(["a"], "give url", '[connections.a]\nusername = "x"\n')
    both = '[connections.a]\nurl = "https://a/"\npassword_env = "A"\ntoken_env = "B"\n'
    refused(["a"], "not both", both)
    assert embed_credentials("https://old:x@h/p", "u", None) == "https://old:x@h/p"


def test_pypirc_is_private_and_only_ours_is_removed(tmp_path: Path) -> None:
    repositories = [
        Repository("libs", "http://h/acme/_packaging/libs/pypi/upload/", "alice", SECRET),
        Repository("corp", "https://corp/upload/", "token", None),
    ]
    path = write_pypirc(repositories, base=tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert text.startswith(MARKER + "\n[distutils]\nindex-servers =\n    libs\n    corp\n")
    assert "[libs]\nrepository = http://h/acme/_packaging/libs/pypi/upload/\n" in text
    assert f"username = alice\npassword = {SECRET}\n" in text
    assert text.endswith("[corp]\nrepository = https://corp/upload/\nusername = token\n")
    assert is_ours(path)

    foreign = tmp_path / "quiver-twine-mine" / ".pypirc"
    foreign.parent.mkdir()
    foreign.write_text("[distutils]\n")
    for value in (str(foreign), str(tmp_path), "", None, str(tmp_path / "missing")):
        assert remove_previous(value) is None
    assert foreign.exists()
    assert remove_previous(str(path)) == path
    assert not path.exists()
    assert not path.parent.exists()
    with pytest.raises(ValueError, match="line break"):
        write_pypirc([Repository("x", "https://h/", "u", "a\nb")], base=tmp_path)


def test_snippet_names_and_urls() -> None:
    assert source_name("My.Libs_2") == "my-libs-2"
    assert source_name("...") == "quiver"
    assert env_name("my-libs-2") == "MY_LIBS_2"
    assert index_url("http://h", "acme", "plat", "a b", "v") == (
        "http://h/acme/plat/_packaging/a%20b@v/pypi/simple/"
    )
    for tool in TOOLS:
        found = connect_snippets("http://h/", "acme", None, "libs", None, tool)
        assert found.index_url == "http://h/acme/_packaging/libs/pypi/simple/"
        assert "qvr_" not in repr(found)
    with pytest.raises(Invalid, match="Unknown tool"):
        connect_snippets("http://h", "acme", None, "libs", None, "conda")
    poetry = connect_snippets("http://h", "acme", None, "My.Libs", None, "poetry")
    assert "POETRY_HTTP_BASIC_MY_LIBS_PASSWORD" in poetry.snippets[0].content
    assert shlex.split(poetry.snippets[0].content.splitlines()[0])[4] == "my-libs"


def test_masked_hides_every_credential() -> None:
    text = f"corp=https://u:p@corp.example/simple/ {URL} http://plain.example/"
    assert masked(text) == (
        "corp=https://***@corp.example/simple/ "
        "https://***@feeds.example/acme/_packaging/libs/pypi/simple/ http://plain.example/"
    )
