"""``quiver permission``: a feed keeps at least one owner (the real ``quiver`` executable
against a real server process; the rule itself: tests/http/test_permissions.py)."""

from __future__ import annotations

import pytest

from tests.support.cli import Cli, refused

pytestmark = pytest.mark.e2e

LAST_OWNER = "A feed needs at least one owner: make someone else owner first."


def test_the_last_owner_stays(cli: Cli) -> None:
    cli.ok("org", "create", "own")
    cli.ok("feed", "create", "own/libs")  # the admin user, its creator, owns it
    cli.ok("user", "create", "olga")
    remove, lower = cli.many(
        ["permission", "remove", "own/libs", "admin"],
        ["permission", "set", "own/libs", "admin", "reader"],
    )
    refused(remove, 1, LAST_OWNER)
    refused(lower, 1, LAST_OWNER)
    cli.ok("permission", "set", "own/libs", "olga", "owner")
    cli.ok("permission", "set", "own/libs", "admin", "reader")
    refused(cli("permission", "remove", "own/libs", "olga"), 1, LAST_OWNER)
    roles = cli.ok("permission", "list", "own/libs", "--json").json()
    assert roles == [{"username": "admin", "role": "reader"}, {"username": "olga", "role": "owner"}]
