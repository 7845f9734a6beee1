"""Domain rules: feed and slug names, distribution filenames, versions, roles, tokens."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import canonicalize_name
from packaging.version import Version

from quiver.domain.distributions import check_agreement, parse_filename, parse_version
from quiver.domain.errors import Invalid
from quiver.domain.metadata import read_core_metadata
from quiver.domain.names import FEED_BANNED, validate_description, validate_feed_name, validate_slug
from quiver.domain.roles import Role, Scope, Visibility, effective_role
from quiver.domain.tokens import looks_like_token, new_token, token_digest, token_hint

SAFE = st.characters(
    codec="utf-8",
    categories=("L", "N", "Pd", "Pc", "Po"),
    exclude_characters="".join(FEED_BANNED) + "_.",
)


@given(st.text(SAFE, min_size=1, max_size=64))
def test_feed_names_of_safe_characters_are_accepted(name: str) -> None:
    assert validate_feed_name(name) == name


@given(
    st.text(SAFE, min_size=0, max_size=30),
    st.sampled_from(sorted(FEED_BANNED)),
    st.text(SAFE, max_size=30),
)
def test_feed_names_with_a_banned_character_are_refused(before: str, bad: str, after: str) -> None:
    with pytest.raises(Invalid, match="must not contain"):
        validate_feed_name("a" + before + bad + after)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "empty"),
        ("x" * 65, "at most 64"),
        ("has space", "whitespace"),
        ("tab\there", "whitespace"),
        ("_private", "start with"),
        (".hidden", "start with"),
        ("ends.", "end with"),
        ("a@b", "@"),
    ],
)
def test_feed_name_rules(name: str, words: str) -> None:
    with pytest.raises(Invalid, match=words):
        validate_feed_name(name)


def test_description_limit() -> None:
    assert validate_description("x" * 255) == "x" * 255
    with pytest.raises(Invalid):
        validate_description("x" * 256)


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}[A-Za-z0-9_-]", fullmatch=True))
def test_slugs(name: str) -> None:
    assert validate_slug("Organization", name) == name


@pytest.mark.parametrize("name", ["", "-x", "x.", "a/b", "a b", "x" * 65, "é"])
def test_bad_slugs(name: str) -> None:
    with pytest.raises(Invalid, match="Organization name"):
        validate_slug("Organization", name)


PROJECT = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,20}[A-Za-z0-9])?", fullmatch=True)
RELEASE = st.lists(st.integers(0, 300), min_size=1, max_size=4).map(lambda p: ".".join(map(str, p)))


@given(PROJECT, RELEASE)
def test_wheel_filenames_round_trip(name: str, version: str) -> None:
    escaped = canonicalize_name(name).replace("-", "_")
    dist = parse_filename(f"{escaped}-{version}-py3-none-any.whl")
    assert dist.kind == "bdist_wheel"
    assert dist.name == canonicalize_name(name)
    assert dist.version == Version(version)


@given(PROJECT, RELEASE)
def test_sdist_filenames_round_trip(name: str, version: str) -> None:
    escaped = canonicalize_name(name).replace("-", "_")
    dist = parse_filename(f"{escaped}-{version}.tar.gz")
    assert (dist.kind, dist.name, dist.version) == (
        "sdist",
        canonicalize_name(name),
        Version(version),
    )


@given(st.text(string.printable, max_size=40))
def test_arbitrary_filenames_never_crash(text: str) -> None:
    try:
        dist = parse_filename(text)
    except Invalid:
        return
    assert "/" not in dist.filename
    assert ".." not in dist.filename


@pytest.mark.parametrize(
    "filename",
    [
        "../pkg-1.0.tar.gz",
        "a/pkg-1.0.tar.gz",
        "pkg-1.0..tar.gz",
        "pkg-1.0.exe",
        "pkg-x-1.0-py3-none-any.whl",
        "pkg-one.tar.gz",
        ".pkg-1.0.tar.gz",
    ],
)
def test_bad_filenames(filename: str) -> None:
    with pytest.raises(Invalid):
        parse_filename(filename)


@given(st.text(max_size=20))
def test_versions_parse_or_refuse(text: str) -> None:
    try:
        version = parse_version(text)
    except Invalid as err:
        assert "PEP 440" in str(err)
    else:
        assert Version(str(version)) == version


def test_metadata_agreement() -> None:
    meta = read_core_metadata(b"Metadata-Version: 2.4\nName: Foo.Bar\nVersion: 1.0\n")
    dist = parse_filename("foo_bar-1.0-py3-none-any.whl")
    check_agreement(dist, meta, "foo-bar", "1.0.0")
    with pytest.raises(Invalid, match="form says version"):
        check_agreement(dist, meta, None, "1.1")
    with pytest.raises(Invalid, match="metadata says"):
        check_agreement(parse_filename("foo_bar-2.0-py3-none-any.whl"), meta, None, None)


ROLE = st.sampled_from(list(Role))
SCOPE = st.sampled_from([None, *Scope])
VIS = st.sampled_from(list(Visibility))


@given(ROLE, VIS, st.booleans(), st.booleans(), SCOPE)
def test_effective_role_is_capped_by_scope(
    role: Role, vis: Visibility, member: bool, admin: bool, scope: Scope | None
) -> None:
    got = effective_role(
        assigned=role,
        visibility=vis,
        is_org_member=member,
        is_admin=admin,
        authenticated=True,
        scope=scope,
    )
    if scope is not None:
        assert (
            got
            <= {
                Scope.READ: Role.COLLABORATOR,
                Scope.WRITE: Role.CONTRIBUTOR,
                Scope.MANAGE: Role.OWNER,
            }[scope]
        )
    if scope is None or scope is Scope.MANAGE:
        assert got >= role
        assert (got == Role.OWNER) or not admin


@given(ROLE, VIS)
def test_anonymous_reads_only_public_feeds(role: Role, vis: Visibility) -> None:
    got = effective_role(
        assigned=role,
        visibility=vis,
        is_org_member=True,
        is_admin=False,
        authenticated=False,
        scope=None,
    )
    assert got == (Role.READER if vis is Visibility.PUBLIC else Role.NONE)


def test_role_and_scope_parsing() -> None:
    assert Role.parse("Contributor") is Role.CONTRIBUTOR
    assert Scope.parse("packaging:write") is Scope.WRITE
    assert Scope.parse("read") is Scope.READ
    for bad in ("none", "admin", ""):
        with pytest.raises(Invalid):
            Role.parse(bad)
    with pytest.raises(Invalid):
        Scope.parse("packaging:everything")


def test_tokens() -> None:
    token = new_token()
    assert looks_like_token(token)
    assert token.startswith("qvr_")
    assert not looks_like_token("qvr_short")
    assert not looks_like_token("ghp_" + "x" * 40)
    assert token_digest(token) != token
    assert len(token_digest(token)) == 64
    assert token_hint(token).startswith(token[:8])
    assert token[10:] not in token_hint(token)
