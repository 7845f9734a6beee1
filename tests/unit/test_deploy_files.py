"""The files in ``deploy/`` are the ones docs/operations/deploy.md shows, and agree with the
build."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "operations" / "deploy.md"


@pytest.mark.parametrize("name", ["nginx.conf", "quiver.service", "quiver.env"])
def test_docs_show_the_deploy_file_verbatim(name: str) -> None:
    shown = (ROOT / "deploy" / name).read_text()
    assert shown in DOCS.read_text(), (
        f"docs/operations/deploy.md no longer shows deploy/{name} as it is"
    )


def test_container_recipe_pins_the_makefiles_uv() -> None:
    makefile = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert makefile is not None
    assert f'"uv=={makefile.group(1)}"' in (ROOT / "deploy" / "Dockerfile").read_text()


def test_unit_waits_longer_than_the_shutdown_grace() -> None:
    unit = (ROOT / "deploy" / "quiver.service").read_text()
    env = (ROOT / "deploy" / "quiver.env").read_text()
    stop = re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M)
    grace = re.search(r"^QUIVER_SHUTDOWN_GRACE_SECONDS=(\d+)$", env, re.M)
    assert stop is not None and grace is not None
    assert int(stop.group(1)) > int(grace.group(1))


def test_nginx_allows_large_bodies_only_on_the_upload_address() -> None:
    """Everywhere else Quiver refuses bodies over QUIVER_MAX_BODY_BYTES (1 MiB) anyway."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    locations = re.findall(r"^\s*location ([^{]*)\{([^}]*)\}", conf, re.M)
    outside = re.sub(r"^\s*location [^{]*\{[^}]*\}", "", conf, flags=re.M)
    assert re.findall(r"client_max_body_size (\S+);", outside) == ["1m"]
    large = [pattern for pattern, body in locations if "client_max_body_size" in body]
    assert len(large) == 1
    upload = re.compile(large[0].removeprefix("~").strip())
    for path in ("/acme/_packaging/libs/pypi/upload/", "/acme/team/_packaging/libs/pypi/upload"):
        assert upload.search(path), path
    for path in (
        "/_apis/tokens",
        "/acme/_packaging/libs/pypi/simple/",
        "/a/b/c/_packaging/f/pypi/upload/",
    ):
        assert not upload.search(path), path
