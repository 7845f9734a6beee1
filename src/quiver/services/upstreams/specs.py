"""What a caller asks for as an upstream source, checked and resolved.

An ``UpstreamSpec`` names either an index (``url``, or ``pypi``; credentials
in the URL or given separately) or a feed on this server (``ORG/FEED@VIEW``,
which the caller must be able to read). ``resolve_spec`` turns it into a
``ResolvedUpstream``, ready to become a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from quiver.domain.errors import Invalid, NotFound
from quiver.domain.names import split_feed_ref, validate_feed_name
from quiver.services.access import resolve_feed
from quiver.services.context import Context
from quiver.services.records import KIND_INDEX, FeedInfo, FeedRef, Principal
from quiver.services.upstreams.models import KIND_FEED, PYPI_ALIAS
from quiver.services.upstreams.records import UpstreamSpec
from quiver.services.views.queries import readable_view

LOCAL_VIEW = "local"
URL_MAX = 2048


@dataclass(frozen=True)
class ResolvedUpstream:
    """A checked spec, ready to become a row."""

    name: str
    kind: str
    url: str | None = None
    username: str | None = None
    secret: str | None = field(default=None, repr=False)
    source: FeedInfo | None = None
    source_view: str | None = None

    @property
    def identity(self) -> tuple[str, str | int | None, str | None]:
        if self.kind == KIND_INDEX:
            return (KIND_INDEX, self.url, None)
        assert self.source is not None
        return (KIND_FEED, self.source.id, self.source_view)


async def resolve_spec(ctx: Context, principal: Principal, spec: UpstreamSpec) -> ResolvedUpstream:
    """Check ``spec`` (Invalid for a bad one; NotFound/Forbidden for a source feed the
    caller cannot read)."""
    name = _valid_name(spec.name)
    if (spec.url is None) == (spec.feed is None):
        raise Invalid(
            f"Upstream source {name}: give either url (an index, or 'pypi') or feed "
            "(ORG/FEED@VIEW on this server)."
        )
    if spec.url is not None:
        return _resolve_index(ctx, name, spec)
    assert spec.feed is not None
    if spec.username is not None or spec.secret is not None:
        raise Invalid(
            f"Upstream source {name}: a feed on this server takes no credentials; "
            "your access to it is checked instead."
        )
    source, view = await _source_feed(ctx, principal, spec.feed)
    return ResolvedUpstream(name, KIND_FEED, source=source, source_view=view)


def _resolve_index(ctx: Context, name: str, spec: UpstreamSpec) -> ResolvedUpstream:
    assert spec.url is not None
    url, username, secret = _index_url(ctx, spec.url)
    if username is not None or secret is not None:
        if spec.username is not None or spec.secret is not None:
            raise Invalid(
                f"Upstream source {name}: give credentials in the URL or separately, not both."
            )
    else:
        username, secret = spec.username, spec.secret
    username = username or None
    secret = secret or None
    if username is not None and len(username) > 255:
        raise Invalid("The upstream user name must be at most 255 characters.")
    if secret is not None and len(secret) > 1024:
        raise Invalid("The upstream password must be at most 1024 characters.")
    return ResolvedUpstream(name, KIND_INDEX, url=url, username=username, secret=secret)


def _valid_name(name: str) -> str:
    name = name.strip()
    try:
        validate_feed_name(name)
    except Invalid as err:
        raise Invalid(str(err).replace("Feed name", "Upstream name", 1)) from None
    return name


def _index_url(ctx: Context, text: str) -> tuple[str, str | None, str | None]:
    """``(url, username, secret)``: the normalized index URL and any credentials it held.

    ``pypi`` is kept as it is: it means the configured public index at read time.
    Otherwise only http(s) URLs with a host, without spaces, a query or a fragment;
    the path ends with ``/``.
    """
    text = text.strip()
    if text.casefold() == PYPI_ALIAS:
        # Kept as the alias, so changing QUIVER_PYPI_URL later moves every such feed.
        return PYPI_ALIAS, None, None
    shown = _redact(text)
    if not text or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise Invalid(f"Invalid upstream URL {shown!r}: it must not contain spaces.")
    if len(text) > URL_MAX:
        raise Invalid(f"An upstream URL must be at most {URL_MAX} characters.")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError:
        raise Invalid(f"Invalid upstream URL {shown!r}.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise Invalid(
            f"Invalid upstream URL {shown!r}: use an http:// or https:// index URL "
            "(or 'pypi', or ORG/FEED@VIEW for a feed on this server)."
        )
    if not host:
        raise Invalid(f"Invalid upstream URL {shown!r}: it has no host.")
    if parts.query or parts.fragment:
        raise Invalid(f"Invalid upstream URL {shown!r}: it must not have a query or fragment.")
    username = unquote(parts.username) if parts.username is not None else None
    secret = unquote(parts.password) if parts.password is not None else None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, "", "")), username, secret


def _redact(url: str) -> str:
    """``url`` without credentials, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


async def _source_feed(ctx: Context, principal: Principal, text: str) -> tuple[FeedInfo, str]:
    """The feed (and view) ``ORG/FEED@VIEW`` names, if the caller can read it (the
    view: its own visibility counts). No view means ``local``."""
    org, project, name, view_name = split_feed_ref(text)
    ref = FeedRef(org, project, name, view_name)
    try:
        _seen, view = await readable_view(ctx, principal, ref)
    except NotFound as err:
        if not str(err).startswith("View "):
            raise
        raise Invalid(str(err)) from None
    source = await resolve_feed(ctx, ref)
    assert source is not None
    return source, LOCAL_VIEW if view is None else view.name


__all__ = ["ResolvedUpstream", "resolve_spec"]
