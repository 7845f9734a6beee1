"""REST: ``GET .../_apis/packaging/feeds/{feed}/connect?tool=...`` — the snippets to paste."""

from __future__ import annotations

import httpx
import pytest

from quiver.domain.snippets import TOKEN_PLACEHOLDER, TOOLS
from tests.conftest import ADMIN_TOKEN
from tests.http.rest_support import as_new_user, assert_error, create_feed, create_org, ok
from tests.support.rest import feed_url

INDEX = "http://quiver.test/acme/_packaging/libs/pypi/simple/"
UPLOAD = "http://quiver.test/acme/_packaging/libs/pypi/upload/"


async def _setup(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await create_feed(api, "acme/libs")
    await ok(api.post("/acme/_apis/projects", json={"name": "plat"}), 201)
    await create_feed(api, "acme/plat/tools", visibility="public")


def _text(answer: dict[str, object]) -> str:
    snippets = answer["snippets"]
    assert isinstance(snippets, list)
    return "\n".join(str(s["content"]) for s in snippets)


@pytest.mark.parametrize("tool", TOOLS)
async def test_every_tool_has_snippets_with_the_feed_urls_and_no_token(
    api: httpx.AsyncClient, tool: str
) -> None:
    await _setup(api)
    answer = await ok(api.get(feed_url("acme/libs", "/connect"), params={"tool": tool}))
    assert answer["tool"] == tool
    assert answer["feed"] == "acme/libs"
    assert (answer["index_url"], answer["upload_url"]) == (INDEX, UPLOAD)
    assert answer["snippets"]
    assert answer["notes"]
    for snippet in answer["snippets"]:
        assert set(snippet) == {"title", "filename", "content"}
        assert snippet["content"].endswith("\n")
    text = _text(answer)
    assert ADMIN_TOKEN not in str(answer)
    assert "qvr_" not in str(answer)
    publishes = tool in ("twine", "poetry", "pdm", "uv")
    # The index address without credentials, or with ${QUIVER_TOKEN} for the tool to expand.
    installs = INDEX in text or INDEX.replace("http://", "http://quiver:${QUIVER_TOKEN}@") in text
    assert installs == (tool != "twine")
    assert (UPLOAD in text) == publishes
    assert TOKEN_PLACEHOLDER in text + " ".join(answer["notes"])


async def test_snippets_per_tool(api: httpx.AsyncClient) -> None:
    await _setup(api)

    async def get(tool: str, ref: str = "acme/libs") -> dict[str, object]:
        answer: dict[str, object] = await ok(
            api.get(feed_url(ref, "/connect"), params={"tool": tool})
        )
        return answer

    pip = await ok(api.get(feed_url("acme/libs", "/connect")))
    assert pip["tool"] == "pip"
    files = {s["filename"]: s["content"] for s in pip["snippets"]}
    assert files["pip.conf"] == f"[global]\nindex-url = {INDEX}\n"
    assert files["pip.ini"] == files["pip.conf"]
    assert any("dependency confusion" in note.lower() for note in pip["notes"])
    assert "extra-index-url" not in files["pip.conf"]

    twine = _text(await get("twine"))
    assert f"[libs]\nrepository = {UPLOAD}\nusername = quiver\n" in twine
    assert "twine upload -r libs dist/*" in twine

    uv = _text(await get("uv"))
    assert '[[tool.uv.index]]\nname = "libs"' in uv
    assert "default = true" in uv
    assert "UV_INDEX_LIBS_PASSWORD" in uv

    poetry = (await get("POETRY"))["snippets"]
    assert isinstance(poetry, list)
    assert poetry[0]["content"] == (
        f"poetry source add --priority=primary libs {INDEX}\n"
        "export POETRY_HTTP_BASIC_LIBS_USERNAME=quiver\n"
        f"export POETRY_HTTP_BASIC_LIBS_PASSWORD='{TOKEN_PLACEHOLDER}'\n"
        "poetry add PACKAGE\n"
    )

    requirements = _text(await get("requirements"))
    assert requirements.startswith(
        "--index-url http://quiver:${QUIVER_TOKEN}@quiver.test/acme/_packaging/libs/pypi/simple/\n"
    )
    pdm = _text(await get("pdm"))
    assert 'name = "pypi"' in pdm

    # A project feed, and a view: installs read the view, uploads go to the feed.
    tools = await get("twine", "acme/plat/tools")
    assert tools["index_url"] == "http://quiver.test/acme/plat/_packaging/tools/pypi/simple/"
    local = await ok(api.get(feed_url("acme/libs@local", "/connect"), params={"tool": "uv"}))
    assert local["feed"] == "acme/libs@local"
    assert local["index_url"] == INDEX.replace("libs/", "libs@local/")
    assert local["upload_url"] == UPLOAD
    assert any("view local" in note for note in local["notes"])


async def test_connect_errors(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await _setup(api)
    assert_error(await api.get(feed_url("acme/nope", "/connect")), 404, "does not exist")
    assert_error(await api.get(feed_url("acme/libs@nope", "/connect")), 404, "view nope")
    assert_error(
        await api.get(feed_url("acme/libs", "/connect"), params={"tool": "conda"}),
        400,
        "unknown tool",
        "pip, twine, uv, poetry, pdm, requirements",
    )
    anonymous = await anon.get(feed_url("acme/libs", "/connect"))
    assert_error(anonymous, 401)
    assert anonymous.headers["www-authenticate"].lower().startswith("basic")
    # A public feed answers anyone; a user without a role on a private feed sees nothing.
    public = await ok(anon.get(feed_url("acme/plat/tools", "/connect")))
    assert public["feed"] == "acme/plat/tools"
    async with await as_new_user(api, "carol", scope="packaging:read") as carol:
        assert_error(await carol.get(feed_url("acme/libs", "/connect")), 404)
        assert (await carol.get(feed_url("acme/plat/tools", "/connect"))).status_code == 200
