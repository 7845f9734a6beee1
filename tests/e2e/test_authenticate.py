"""pip-authenticate, twine-authenticate and connect, used the way a person or a CI job does:
``eval "$(quiver ...)"`` in bash, then real pip, uv, twine and poetry against a real server.

Clients run with this machine's configuration removed (``client_env``: no pip.conf, no
``PIP_*``/``UV_*``), so only what quiver printed can make an install work. Tokens reach the
commands through environment variables only, never through arguments.
"""

from __future__ import annotations

import json
import re
import shlex
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.version import Version

from tests.support import rest
from tests.support.cli import QUIVER, run_many, run_quiver
from tests.support.dists import build_wheel
from tests.support.server import LiveServer, live_server
from tests.support.venvs import client_env, make_venv, run, uv_binary

pytestmark = pytest.mark.e2e
TWINE = Path(sys.executable).with_name("twine")
# `make test` installs poetry in a venv of its own, .venv/tools/poetry-VERSION (the Makefile).
TOOLS = Path(sys.executable).parents[1] / "tools"


def poetry() -> Path:
    """The newest poetry ``make test`` installed; fails the test when there is none."""
    found = sorted(TOOLS.glob("poetry-*/bin/poetry"), key=lambda p: Version(p.parts[-3][7:]))
    if not found:
        pytest.fail(f"No poetry in {TOOLS}: run the tests with `make test`.")
    return found[-1]


LIBS, EXTRA = "acme/libs", "acme/extra"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """acme/libs holds app-one (needing dep-two) and leaf-one; acme/extra holds dep-two."""
    dists = tmp_path_factory.mktemp("dists")
    with live_server(tmp_path_factory.mktemp("auth") / "data") as live:
        with live.client() as admin:
            for ref in (LIBS, EXTRA):
                rest.create_feed(admin, ref)
            for user in ("alice", "bob"):
                rest.create_user(admin, user)
            rest.set_role(admin, LIBS, "alice", "contributor")
            rest.set_role(admin, EXTRA, "alice", "reader")
            rest.set_role(admin, EXTRA, "bob", "reader")
        app = build_wheel(dists, "app-one", "1.0", requires_dist=["dep-two"])
        publish(live, LIBS, app, build_wheel(dists, "leaf-one", "2.0"))
        publish(live, EXTRA, build_wheel(dists, "dep-two", "0.3"))
        yield live


def publish(server: LiveServer, ref: str, *wheels: Path) -> None:
    env = client_env({"TWINE_USERNAME": "admin", "TWINE_PASSWORD": server.admin_token})
    url = server.upload_url(ref)
    run([TWINE, "upload", "--disable-progress-bar", "--repository-url", url, *wheels], env=env)


@pytest.fixture(scope="module")
def alice(server: LiveServer) -> str:
    with server.client() as admin:
        return rest.create_token(admin, "alice", "packaging:write")


def env_for(server: LiveServer, token: str | None, tmp_path: Path, **extra: str) -> dict[str, str]:
    """A client environment with the quiver server and token, and a private config dir."""
    env = client_env({"XDG_CONFIG_HOME": str(tmp_path / "config"), "QUIVER_SERVER": server.url})
    if token is not None:
        env["QUIVER_TOKEN"] = token
    env.update(extra)
    return env


def bash(script: str, env: dict[str, str], *, check: bool = True) -> tuple[int, str, str]:
    """Run ``script`` (no secrets in it) with bash -e; (exit code, stdout, stderr)."""
    done = run(["bash", "-ec", script], env=env, check=check)
    return done.returncode, done.stdout, done.stderr


def index(server: LiveServer, ref: str, token: str, user: str = "alice") -> str:
    return server.index_url(ref, token).replace("//user:", f"//{user}:")


def test_eval_then_pip_and_uv_install_from_two_feeds(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    """The primary feed has app-one; its dependency is only in the second (extra) feed."""
    env = env_for(server, alice, tmp_path)
    venv = make_venv(tmp_path / "pip")
    authenticate = f'eval "$({QUIVER} pip-authenticate {LIBS} {EXTRA})"'
    _, _, err = bash(f"{authenticate}\n{shlex.join(venv.pip_command)} install app-one", env)
    assert venv.installed() == {"app-one": "1.0", "dep-two": "0.3"}
    assert alice not in err
    uv_venv = make_venv(tmp_path / "uv", with_pip=False)
    install = [str(uv_binary()), "pip", "install", "--python", str(uv_venv.python), "app-one"]
    bash(f"{authenticate}\n{shlex.join(install)}", env)
    assert uv_venv.installed() == {"app-one": "1.0", "dep-two": "0.3"}


def test_runs_replace_each_other_and_keep_foreign_indexes(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    foreign = "https://pypi.foreign.example/simple/"
    env = env_for(
        server,
        alice,
        tmp_path,
        PIP_INDEX_URL="https://primary.example/simple/",
        PIP_EXTRA_INDEX_URL=foreign,
        UV_INDEX=f"corp={foreign}",
    )
    show = 'printf "%s|%s|%s|%s\\n" "$PIP_INDEX_URL" "$PIP_EXTRA_INDEX_URL" "$UV_INDEX" '
    show += '"${UV_DEFAULT_INDEX-unset}"'
    extra_only = f'eval "$({QUIVER} pip-authenticate --only-add-extra-index {LIBS})"'
    _, out, err = bash(f"{extra_only}\n{extra_only}\n{show}", env)
    ours = index(server, LIBS, alice)
    assert out.strip().split("|") == [
        "https://primary.example/simple/",
        f"{ours} {foreign}",
        f"{ours} corp={foreign}",
        "unset",
    ]
    assert alice not in err
    assert "http://***@127.0.0.1" in err

    # Two feeds, then one: the second run takes the first run's extra feed away.
    both = f'eval "$({QUIVER} pip-authenticate {LIBS} {EXTRA})"'
    one = f'eval "$({QUIVER} pip-authenticate {EXTRA})"'
    _, out, _ = bash(f"{both}\n{one}\n{show}", env)
    extra = index(server, EXTRA, alice)
    assert out.strip().split("|") == [extra, foreign, f"corp={foreign}", extra]


def test_ci_formats(server: LiveServer, alice: str, tmp_path: Path) -> None:
    ours, extra = index(server, LIBS, alice), index(server, EXTRA, alice)
    github_env = tmp_path / "github_env"
    github_env.write_text("PIP_INDEX_URL=https://earlier.example/simple/\n")
    env = env_for(server, alice, tmp_path, GITHUB_ENV=str(github_env))
    code, out, err = run_quiver(["pip-authenticate", "--format", "github", LIBS, EXTRA], env)
    assert code == 0, err
    assert out.splitlines() == [
        f"::add-mask::{alice}",
        f"::add-mask::{ours}",
        f"::add-mask::{extra}",
    ]
    written = github_env.read_text().splitlines()
    assert written[1:] == [
        f"PIP_INDEX_URL={ours}",
        f"PIP_EXTRA_INDEX_URL={extra}",
        f"UV_DEFAULT_INDEX={ours}",
        f"UV_INDEX={extra}",
    ]
    # The next step: GitHub sets the variables, later lines winning, and pip uses them.
    step = dict(line.split("=", 1) for line in written)
    venv = make_venv(tmp_path / "github")
    venv.pip("install", "app-one", env=client_env(step))
    assert venv.installed()["dep-two"] == "0.3"
    code, _, err = run_quiver(
        ["pip-authenticate", "--format", "github", LIBS], env_for(server, alice, tmp_path)
    )
    assert code == 2 and "GITHUB_ENV" in err

    forms = ("azure-pipelines", "json", "dotenv")
    azure_run, json_run, dotenv_run = run_many(
        *[(["pip-authenticate", "--format", form, LIBS, EXTRA], env) for form in forms]
    )
    assert azure_run.code == 0, azure_run
    lines = azure_run.out.splitlines()
    assert lines[0] == f"##vso[task.setsecret]{alice}"
    assert lines[1:3] == [f"##vso[task.setsecret]{ours}", f"##vso[task.setsecret]{extra}"]
    pattern = re.compile(r"##vso\[task\.setvariable variable=(\w+)\](.*)")
    azure = {m[1]: m[2] for m in map(pattern.fullmatch, lines[3:]) if m}
    assert azure == {
        "PIP_INDEX_URL": ours,
        "PIP_EXTRA_INDEX_URL": extra,
        "UV_DEFAULT_INDEX": ours,
        "UV_INDEX": extra,
    }
    assert len(lines) == 7
    # The next step sees them as environment variables.
    uv_venv = make_venv(tmp_path / "azure", with_pip=False)
    uv_venv.uv_pip("install", "app-one", env=client_env(azure))
    assert uv_venv.installed()["dep-two"] == "0.3"
    assert json_run.json() == azure
    assert dotenv_run.out.splitlines() == [f"{name}={value}" for name, value in azure.items()]


def test_mistakes_fail_early(server: LiveServer, alice: str, tmp_path: Path) -> None:
    env = env_for(server, alice, tmp_path)
    cases = [
        (["acme/nope"], 1, "acme/nope"),
        (["acme/libs@nope"], 1, "view nope"),
        (["acme"], 2, "ORG/FEED"),
        ([], 2, "FEEDREF or --service-connection"),
        (["--format", "yaml", LIBS], 2, "yaml"),
    ]
    anonymous = env_for(server, None, tmp_path)
    results = run_many(
        *[(["pip-authenticate", *args], env) for args, _, _ in cases],
        (["pip-authenticate", LIBS], anonymous),
    )
    for (_, code, fragment), result in zip(cases, results[:-1], strict=True):
        assert result.code == code, result
        assert fragment.lower() in result.err.lower(), result
        assert result.out == ""
    assert results[-1].code == 1, results[-1]
    assert "authentication required" in results[-1].err.lower()


def test_service_connection(server: LiveServer, alice: str, tmp_path: Path) -> None:
    """An index outside the feeds, its password from an environment variable."""
    with server.client() as admin:
        bob = rest.create_token(admin, "bob", "packaging:read")
    config = tmp_path / "config" / "quiver"
    config.mkdir(parents=True)
    (config / "connections.toml").write_text(
        f'[connections.partner]\nurl = "{server.index_url(EXTRA)}"\nusername = "ci"\n'
        'password_env = "PARTNER_TOKEN"\n'
    )
    env = env_for(server, alice, tmp_path, PARTNER_TOKEN=bob)
    code, out, err = run_quiver(
        ["pip-authenticate", LIBS, "--service-connection", "partner", "--format", "json"], env
    )
    assert code == 0, err
    partner = index(server, EXTRA, bob, user="ci")
    assert json.loads(out)["PIP_EXTRA_INDEX_URL"] == partner
    venv = make_venv(tmp_path / "venv")
    authenticate = f'eval "$({QUIVER} pip-authenticate {LIBS} --service-connection partner)"'
    bash(f"{authenticate}\n{shlex.join(venv.pip_command)} install app-one", env)
    assert venv.installed()["dep-two"] == "0.3"

    unset = env_for(server, alice, tmp_path)
    elsewhere = str(tmp_path / "nowhere.toml")
    cases = [
        (["--service-connection", "partner"], "PARTNER_TOKEN is not set"),
        (["--service-connection", "other"], "no service connection 'other'"),
        (["--service-connection", "partner", "--connections", elsewhere], "no connections file"),
    ]
    results = run_many(*[(["pip-authenticate", LIBS, *args], unset) for args, _ in cases])
    for (_, fragment), result in zip(cases, results, strict=True):
        assert result.code == 2, result
        assert fragment.lower() in result.err.lower(), result


def test_twine_authenticate_then_twine_uploads(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    build_wheel(dist, "ci-built", "1.0")
    env = env_for(server, alice, tmp_path, RUNNER_TEMP=str(tmp_path), TWINE_NON_INTERACTIVE="1")
    script = (
        f'eval "$({QUIVER} twine-authenticate {LIBS})"\n'
        f'{TWINE} upload --disable-progress-bar -r libs --config-file "$PYPIRC_PATH" '
        f"{dist}/*\n"
        f'printf "%s" "$PYPIRC_PATH" > {tmp_path}/where'
    )
    _, out, err = bash(script, env)
    assert alice not in out + err
    first = Path((tmp_path / "where").read_text())
    assert first.parent.parent == tmp_path
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    assert f"[libs]\nrepository = {server.upload_url(LIBS)}\n" in first.read_text()
    with server.client() as admin:
        assert admin.get(server.index_url(LIBS) + "ci-built/").status_code == 200

    # The next run erases what this one wrote.
    code, out, err = run_quiver(["twine-authenticate", LIBS], {**env, "PYPIRC_PATH": str(first)})
    assert code == 0, err
    second = Path(out.strip().partition("=")[2].strip("'"))
    assert second.exists()
    assert not first.exists()
    assert not first.parent.exists()
    assert f"removed {first}" in err

    reader, anonymous, view = run_many(
        (["twine-authenticate", EXTRA], env),
        (["twine-authenticate", LIBS], env_for(server, None, tmp_path)),
        (["twine-authenticate", "acme/libs@local"], env),
    )
    assert reader.code == 1 and "contributor role" in reader.err, reader
    assert anonymous.code == 1 and anonymous.out == "", anonymous
    assert view.code == 2 and "not a view" in view.err, view


def test_poetry_installs_and_publishes_with_the_connect_snippets(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    env = env_for(server, alice, tmp_path)
    code, out, err = run_quiver(["connect", LIBS, "--tool", "poetry", "--json"], env)
    assert code == 0, err
    install, publish_snippet = (s["content"] for s in json.loads(out)["snippets"])
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "poetry").symlink_to(poetry())
    project = tmp_path / "demo"
    (project / "demo").mkdir(parents=True)
    (project / "demo" / "__init__.py").write_text("")
    env.update(
        PATH=f"{tools}:{env['PATH']}",
        POETRY_VIRTUALENVS_IN_PROJECT="true",
        POETRY_CACHE_DIR=str(tmp_path / "poetry-cache"),
        POETRY_CONFIG_DIR=str(tmp_path / "poetry-config"),
        POETRY_DATA_DIR=str(tmp_path / "poetry-data"),
        POETRY_KEYRING_ENABLED="false",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        POETRY_NO_INTERACTION="1",
    )
    # The snippets as printed, with the token taken from the environment.
    ready = install.replace("'<PERSONAL_ACCESS_TOKEN>'", '"$QUIVER_TOKEN"')
    ready = ready.replace("poetry add PACKAGE", "poetry add leaf-one")
    script = f"cd {project}\npoetry init -n --name demo --python '>=3.11'\n{ready}{publish_snippet}"
    _, out, err = bash(script, env)
    assert alice not in out + err
    python = project / ".venv" / "bin" / "python"
    assert run([python, "-c", "import leaf_one; print(leaf_one.__version__)"]).stdout == "2.0\n"
    with server.client() as admin:
        assert admin.get(server.index_url(LIBS) + "demo/").status_code == 200


def test_connect_cli(server: LiveServer, alice: str, tmp_path: Path) -> None:
    env = env_for(server, alice, tmp_path)
    plain, twine, requirements_run = run_many(
        (["connect", LIBS], env),
        (["connect", LIBS, "--json", "--tool", "twine"], env),
        (["connect", LIBS, "--json", "--tool", "requirements"], env),
    )
    code, out, err = plain
    assert code == 0, err
    assert f"[global]\nindex-url = {server.index_url(LIBS)}\n" in out
    assert "# Note:" in out
    assert alice not in out
    pasteable = ("#", "[", "index-url", "eval", "pip ")
    assert all(not line or line.startswith(pasteable) for line in out.splitlines())
    assert twine.json()["upload_url"] == server.upload_url(LIBS)
    # The requirements header: pip and uv fill in ${QUIVER_TOKEN} from the environment.
    header = requirements_run.json()["snippets"][0]["content"].replace("PACKAGE", "leaf-one")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(header)
    assert alice not in header
    venv = make_venv(tmp_path / "venv")
    venv.pip("install", "-r", str(requirements), env=client_env({"QUIVER_TOKEN": alice}))
    uv_venv = make_venv(tmp_path / "uv", with_pip=False)
    uv_venv.uv_pip("install", "-r", str(requirements), env=client_env({"QUIVER_TOKEN": alice}))
    assert venv.installed() == uv_venv.installed() == {"leaf-one": "2.0"}

    unknown, bad_tool = run_many(
        (["connect", "acme/nope"], env), (["connect", LIBS, "--tool", "conda"], env)
    )
    assert unknown.code == 1 and "acme/nope" in unknown.err, unknown
    assert bad_tool.code == 2 and "unknown tool" in bad_tool.err.lower(), bad_tool
