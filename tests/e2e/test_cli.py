"""The client CLI: the real ``quiver`` executable against a real server process.

One server for the module (the ``cli`` fixture of ``tests/e2e/conftest.py``); each test
uses its own organization so they do not meet. Independent invocations run concurrently
to keep the module quick.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Sequence

import pytest

from tests.support.cli import Cli, Result, refused
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e


def codes(results: Sequence[Result]) -> list[int]:
    return [result.code for result in results]


def test_main_flow(cli: Cli) -> None:
    """Set up an organization, a user, feeds and a token for the user; use and revoke it.

    Invocations that do not depend on each other run in batches (``cli.many``).
    """
    first = cli.many(
        ["org", "create", "acme"], ["user", "create", "bob"], ["user", "create", "root2", "--admin"]
    )
    assert codes(first) == [0, 0, 0], first
    assert "Created user bob" in first[1].err
    assert "Created administrator root2" in first[2].err
    second = cli.many(
        ["project", "create", "acme", "plat", "--description", "platform"],
        ["feed", "create", "acme/libs", "--description", "Our libraries"],
        ["org", "member", "add", "acme", "bob"],
        ["org", "member", "add", "acme", "root2", "--role", "owner"],
    )
    assert codes(second) == [0, 0, 0, 0], second
    assert "Created feed acme/libs" in second[1].err
    assert f"{cli.server.url}/acme/_packaging/libs/pypi/simple/" in second[1].out

    # token create: the secret alone on stdout, so T=$(quiver token create ...) works.
    scoped, made = cli.many(
        ["feed", "create", "acme/plat/tools", "--visibility", "organization", "--json"],
        ["token", "create", "--name", "bob ci", "--user", "bob", "--scope", "packaging:write",
         "--feed", "acme/libs", "--expires-in-days", "30"],
    )  # fmt: skip
    assert scoped.json()["ref"] == "acme/plat/tools"
    assert scoped.json()["visibility"] == "organization"
    assert (
        scoped.json()["upload_url"] == f"{cli.server.url}/acme/plat/_packaging/tools/pypi/upload/"
    )
    assert made.code == 0, made
    bob = made.out.strip()
    assert made.out == bob + "\n"
    assert bob.startswith("qvr_")
    assert bob not in made.err
    assert "acme/libs" in made.err

    listed, project_listed, table, projects, members, orgs, users, unseen = cli.many(
        ["feed", "list", "acme", "--json"],
        ["feed", "list", "acme/plat", "--json"],
        ["feed", "list", "acme"],
        ["project", "list", "acme"],
        ["org", "member", "list", "acme", "--json"],
        ["org", "list"],
        ["user", "list", "--json"],
        # bob has no role on the private feed yet: it is not there for him.
        ["feed", "show", "acme/libs", "--token", bob],
    )
    assert [f["ref"] for f in listed.json()] == ["acme/libs", "acme/plat/tools"]
    assert [f["ref"] for f in project_listed.json()] == ["acme/plat/tools"]
    assert "acme/libs" in table.out
    assert "Our libraries" in table.out
    assert "plat" in projects.out
    assert "platform" in projects.out
    assert members.json() == [
        {"username": "admin", "role": "owner"},
        {"username": "bob", "role": "member"},
        {"username": "root2", "role": "owner"},
    ]
    assert "acme" in orgs.out
    assert {"admin", "bob", "root2"} <= {u["username"] for u in users.json()}
    refused(unseen, 1, "does not exist")

    cli.ok("permission", "set", "acme/libs", "bob", "contributor")
    permissions, shown, denied, other, tokens = cli.many(
        ["permission", "list", "acme/libs", "--json"],
        ["feed", "show", "acme/libs", "--json", "--token", bob],
        ["feed", "delete", "acme/libs", "--yes", "--token", bob],
        # bob, a member, may read the organization-visible feed, but his token is limited.
        ["feed", "show", "acme/plat/tools", "--token", bob],
        ["token", "list", "--user", "bob", "--json"],
    )
    assert {"username": "bob", "role": "contributor"} in permissions.json()
    assert shown.json()["your_role"] == "contributor"
    refused(denied, 1, "owner role")
    refused(other, 1, "limited to other feeds")
    assert bob not in tokens.out
    (listed_token,) = tokens.json()
    assert listed_token["feeds"] == ["acme/libs"]
    assert listed_token["scope"] == "packaging:write"

    third = cli.many(
        ["permission", "remove", "acme/libs", "bob"],
        ["org", "member", "remove", "acme", "bob"],
        ["token", "revoke", str(listed_token["id"])],
        # Deleting asks first; without a terminal it refuses unless --yes.
        ["feed", "delete", "acme/plat/tools"],
    )
    assert codes(third[:3]) == [0, 0, 0], third
    refused(third[3], 2, "--yes")
    permissions_left, members_left, revoked, deleted = cli.many(
        ["permission", "list", "acme/libs"],
        ["org", "member", "list", "acme"],
        ["feed", "list", "acme", "--token", bob],
        ["feed", "delete", "acme/plat/tools", "-y"],
    )
    assert "bob" not in permissions_left.out
    assert "admin" in permissions_left.out
    assert "bob" not in members_left.out
    assert "root2" in members_left.out
    refused(revoked, 1, "revoked")
    assert "Moved feed acme/plat/tools to the recycle bin" in deleted.err
    assert [f["ref"] for f in cli.ok("feed", "list", "acme", "--json").json()] == ["acme/libs"]
    assert bob not in cli.server.log()


def test_login_and_logout(cli: Cli) -> None:
    url = cli.server.url
    stored = cli.config / "quiver" / "credentials.json"
    bad = "qvr_" + "B" * 43
    bad_scope, bad_token = cli.many(
        ["login", "--scope", "admin", url], ["login", "--token", bad, url], token=None, server=None
    )
    refused(bad_scope, 2, "unknown scope")
    refused(bad_token, 1, "not known")
    assert not stored.exists()

    logged = cli("login", "--token", cli.server.admin_token, url + "/", token=None, server=None)
    assert logged.code == 0, logged
    assert "as admin" in logged.err
    assert cli.server.admin_token not in logged.err + logged.out
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    saved_file = json.loads(stored.read_text())
    entry = saved_file["servers"][url]
    assert (saved_file["default"], entry["username"]) == (url, "admin")
    # The token is in the file, or in the system keyring where one works.
    assert entry.get("token") == cli.server.admin_token or entry["storage"] == "keyring"

    # No environment, no options: the saved server and token are used.
    # An explicit token wins over the saved one.
    saved, explicit = cli.many(
        ["org", "list"], ["org", "list", "--token", bad], token=None, server=None
    )
    assert saved.code == 0, saved
    refused(explicit, 1, "not known")

    assert cli("logout", token=None, server=None).code == 0
    assert not stored.exists()
    refused(cli("org", "list", token=None, server=None), 2, "no server configured")
    # The token may come on stdin instead of the command line.
    piped = cli(
        "login", "--token", "-", url, token=None, server=None, stdin=cli.server.admin_token + "\n"
    )
    assert piped.code == 0, piped
    assert stored.exists()


def test_errors_and_exit_codes(cli: Cli) -> None:
    cli.ok("org", "create", "gamma")
    unreachable = f"http://127.0.0.1:{free_port()}"
    bad = "qvr_" + "C" * 43
    (
        duplicate,
        bad_name,
        bad_ref,
        view_ref,
        bad_scope,
        unknown,
        no_auth,
        wrong_token,
        secret_url,
        bad_role,
        down,
        missing_argument,
    ) = cli.many(
        ["org", "create", "gamma"],
        ["feed", "create", "gamma/a@b"],
        ["feed", "show", "gamma"],
        ["feed", "delete", "gamma/libs@release", "--yes"],
        ["token", "create", "--name", "x", "--scope", "admin"],
        ["feed", "show", "gamma/nope"],
        ["org", "list", "--token", ""],
        ["user", "list", "--token", bad],
        ["org", "list", "--server", "http://me:hunter2@127.0.0.1:1"],
        ["permission", "set", "gamma/nope", "admin", "boss"],
        ["org", "list", "--server", unreachable],
        ["token", "revoke", "abc"],
    )
    refused(duplicate, 1, "already exists")
    refused(bad_name, 1, "must not contain @")
    refused(bad_ref, 2, "ORG/FEED")
    refused(view_ref, 2, "without '@release'")
    refused(bad_scope, 1, "unknown scope")
    refused(unknown, 1, "gamma/nope", "does not exist")
    refused(no_auth, 1, "authentication required")
    refused(wrong_token, 1, "not known")
    assert bad not in wrong_token.err
    refused(secret_url, 2, "credentials")
    assert "hunter2" not in secret_url.err
    refused(bad_role, 1)
    refused(down, 3, "cannot reach", unreachable)
    assert cli.server.admin_token not in down.err
    assert missing_argument.code == 2
