"""REST: organizations, their members and their projects."""

from __future__ import annotations

import httpx

from tests.http.rest_support import as_new_user, assert_error, create_org, create_user, ok

MEMBERS = "/_apis/organizations/acme/members"


async def test_organizations(api: httpx.AsyncClient) -> None:
    created = await ok(api.post("/_apis/organizations", json={"name": "acme"}), 201)
    assert created["name"] == "acme"
    await create_org(api, "Beta")
    assert [o["name"] for o in await ok(api.get("/_apis/organizations"))] == ["acme", "Beta"]
    assert_error(await api.post("/_apis/organizations", json={"name": "ACME"}), 409, "exists")
    for bad in ("", "_apis", ".x", "x.", "a b", "a/b", "x" * 65):
        assert_error(
            await api.post("/_apis/organizations", json={"name": bad}), 400, "organization name"
        )
    assert_error(await api.post("/_apis/organizations", json={"nam": "x"}), 400, "name")
    # The creator is an owner.
    assert await ok(api.get(MEMBERS)) == [{"username": "admin", "role": "owner"}]


async def test_members(api: httpx.AsyncClient) -> None:
    await create_org(api)
    await create_user(api, "carol")
    async with await as_new_user(api, "bob") as bob:
        # Not a member: the organization is not there for bob.
        assert await ok(bob.get("/_apis/organizations")) == []
        assert_error(await bob.get(MEMBERS), 404, "does not exist")
        assert_error(await bob.get("/acme/_apis/projects"), 404)

        assert await ok(api.put(f"{MEMBERS}/Bob", json={})) == {
            "username": "Bob",
            "role": "member",
        }
        assert [o["name"] for o in await ok(bob.get("/_apis/organizations"))] == ["acme"]
        assert [m["username"] for m in await ok(bob.get(MEMBERS))] == ["admin", "bob"]
        # Members look; owners manage.
        assert_error(await bob.put(f"{MEMBERS}/carol", json={"role": "member"}), 403, "owner")
        assert_error(await bob.post("/acme/_apis/projects", json={"name": "p"}), 403, "owner")
        assert_error(await bob.post("/acme/_apis/packaging/feeds", json={"name": "f"}), 403)

        await ok(api.put(f"{MEMBERS}/bob", json={"role": "owner"}))
        await ok(bob.put(f"{MEMBERS}/carol", json={"role": "member"}))
        await ok(bob.post("/acme/_apis/projects", json={"name": "p"}), 201)
        await ok(bob.post("/acme/_apis/packaging/feeds", json={"name": "f"}), 201)
        assert await ok(bob.get(MEMBERS)) == [
            {"username": "admin", "role": "owner"},
            {"username": "bob", "role": "owner"},
            {"username": "carol", "role": "member"},
        ]
        assert (await bob.delete(f"{MEMBERS}/carol")).status_code == 204
    assert_error(await api.delete(f"{MEMBERS}/carol"), 404, "not a member")
    assert_error(await api.put(f"{MEMBERS}/carol", json={"role": "boss"}), 400, "member or owner")
    assert_error(await api.put(f"{MEMBERS}/ghost", json={"role": "member"}), 404, "ghost")
    assert_error(await api.get("/_apis/organizations/nope/members"), 404, "nope")


async def test_projects(api: httpx.AsyncClient) -> None:
    await create_org(api)
    created = await ok(
        api.post("/acme/_apis/projects", json={"name": "platform", "description": "infra"}), 201
    )
    assert created["name"] == "platform"
    assert created["org"] == "acme"
    assert created["description"] == "infra"
    await ok(api.post("/acme/_apis/projects", json={"name": "apps"}), 201)
    assert [p["name"] for p in await ok(api.get("/acme/_apis/projects"))] == ["apps", "platform"]
    assert_error(await api.post("/acme/_apis/projects", json={"name": "Apps"}), 409, "exists")
    for bad in ("", "_x", "x.", "a b", "x" * 65):
        assert_error(
            await api.post("/acme/_apis/projects", json={"name": bad}), 400, "project name"
        )
    assert_error(
        await api.post("/acme/_apis/projects", json={"name": "d", "description": "x" * 256}), 400
    )
    assert_error(await api.post("/nope/_apis/projects", json={"name": "p"}), 404, "nope")
    # The same project name may live in another organization.
    await create_org(api, "other")
    await ok(api.post("/other/_apis/projects", json={"name": "apps"}), 201)


async def test_anonymous(anon: httpx.AsyncClient) -> None:
    for method, url, body in (
        ("POST", "/_apis/organizations", {"name": "x"}),
        ("GET", MEMBERS, None),
        ("PUT", f"{MEMBERS}/bob", {"role": "member"}),
        ("DELETE", f"{MEMBERS}/bob", None),
        ("GET", "/acme/_apis/projects", None),
        ("POST", "/acme/_apis/projects", {"name": "x"}),
    ):
        response = await anon.request(method, url, json=body)
        assert_error(response, 401)
        assert "basic" in response.headers["www-authenticate"].lower()
