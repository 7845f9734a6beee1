"""What a user pastes to use a feed from pip, twine, uv, poetry, pdm or a requirements file.

A pure function of the server's base URL, the feed reference and the tool, so the REST API
(``GET .../_apis/packaging/feeds/{feed}/connect?tool=...``) and ``quiver connect`` show the
same text. Contract: no snippet holds a real secret — only the placeholder
:data:`TOKEN_PLACEHOLDER` or a reference to the ``QUIVER_TOKEN`` environment variable —
unless the caller passes ``token`` (the web page, right after creating one for the snippets,
which then stand in for the placeholder; notes never hold it); and ``index-url`` (the feed
*instead of* PyPI) is always the default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from quiver.domain.errors import Invalid

TOOLS = ("pip", "twine", "uv", "poetry", "pdm", "requirements")
INSTALLING_TOOLS = ("pip", "uv", "poetry", "pdm", "requirements")
PUBLISHING_TOOLS = ("twine", "uv", "poetry", "pdm")
DEFAULT_TOOL = "pip"
TOKEN_PLACEHOLDER = "<PERSONAL_ACCESS_TOKEN>"  # noqa: S105 (a placeholder, not a secret)
PACKAGE_PLACEHOLDER = "PACKAGE"
USERNAME = "quiver"

KEYRING_NOTE = (
    "Keep tokens out of files you commit. On your own machine run 'quiver login' once and "
    "install quiver-keyring where the tool runs: the tool then finds the token through keyring. "
    "In CI, put the token in an environment variable (a secret) instead."
)
CONFUSION_NOTE = (
    "Dependency confusion: when a tool reads several indexes as equals, a public package with "
    "the name of one of your private packages and a higher version can be installed instead of "
    "yours. Make the feed the only index (as above) rather than an extra one next to PyPI, and "
    "let the feed's upstream sources bring public packages in."
)


@dataclass(frozen=True)
class Snippet:
    """One block to paste: a heading, the file it belongs in (None for shell commands)."""

    title: str
    filename: str | None
    content: str


@dataclass(frozen=True)
class Connection:
    """Every snippet and note for one tool."""

    tool: str
    feed: str
    index_url: str
    upload_url: str
    snippets: tuple[Snippet, ...]
    notes: tuple[str, ...]


def feed_base(server: str, org: str, project: str | None, feed: str) -> str:
    """``{server}/{org}[/{project}]/_packaging/{feed}`` with each segment escaped.

    ``server`` is a base URL without credentials and without a trailing slash.
    """
    scope = "/".join(quote(part, safe="") for part in (org, project) if part)
    return f"{server.rstrip('/')}/{scope}/_packaging/{quote(feed, safe='')}"


def index_url(server: str, org: str, project: str | None, feed: str, view: str | None) -> str:
    """The PEP 503 index URL of a feed, or of one of its views."""
    base = feed_base(server, org, project, feed)
    if view:
        base += "@" + quote(view, safe="")
    return base + "/pypi/simple/"


def upload_url(server: str, org: str, project: str | None, feed: str) -> str:
    """The upload (twine, uv publish, poetry publish) URL: always the feed, never a view."""
    return feed_base(server, org, project, feed) + "/pypi/upload/"


def source_name(feed: str) -> str:
    """A name for the feed in poetry, uv and pdm settings: lower case ``[a-z0-9-]``.

    Poetry maps ``POETRY_HTTP_BASIC_<NAME>_*`` back by upper-casing and turning ``-`` into
    ``_``, and splits setting keys at ``.``: so dots and underscores become ``-`` too.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", feed.lower()).strip("-")
    return slug or "quiver"


def env_name(name: str) -> str:
    """The environment-variable form of a source name (``my-libs`` -> ``MY_LIBS``)."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def connect_snippets(
    server: str,
    org: str,
    project: str | None,
    feed: str,
    view: str | None,
    tool: str,
    token: str | None = None,
) -> Connection:
    """The snippets for ``tool`` (one of :data:`TOOLS`, case-insensitive).

    With ``token``, the snippets hold it where they otherwise hold :data:`TOKEN_PLACEHOLDER`
    (and pip, whose files hold no credentials, gets one more snippet setting them for a
    shell); without it the answer is exactly the placeholder version. Raises Invalid for
    an unknown tool.
    """
    chosen = tool.strip().lower()
    if chosen not in TOOLS:
        raise Invalid(f"Unknown tool {tool!r}: use one of {', '.join(TOOLS)}.")
    ref = "/".join(part for part in (org, project, feed) if part) + (f"@{view}" if view else "")
    index = index_url(server, org, project, feed, view)
    upload = upload_url(server, org, project, feed)
    snippets, notes = _RENDERERS[chosen](_Feed(ref, feed, index, upload, view, token))
    if view and chosen in PUBLISHING_TOOLS:
        notes.append(
            f"Packages are published to the feed itself; the view {view} only chooses which "
            "of them installs see."
        )
    return Connection(chosen, ref, index, upload, tuple(snippets), tuple(notes))


@dataclass(frozen=True)
class _Feed:
    ref: str
    name: str
    index: str
    upload: str
    view: str | None
    token: str | None = None

    @property
    def secret(self) -> str:
        """What the snippets show for the token: the real one when given, else the placeholder."""
        return self.token or TOKEN_PLACEHOLDER


def _with_token_env(url: str) -> str:
    """``url`` with ``quiver:${QUIVER_TOKEN}@`` in front of the host (expanded by the tool)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{USERNAME}:${{QUIVER_TOKEN}}@{rest}"


def _pip(feed: _Feed) -> tuple[list[Snippet], list[str]]:
    conf = f"[global]\nindex-url = {feed.index}\n"
    with_token: list[Snippet] = []
    if feed.token:
        with_token.append(
            Snippet(
                "Credentials for one shell or CI job, with this token (the shell fills it in)",
                None,
                f"export QUIVER_TOKEN='{feed.token}'\n"
                f'export PIP_INDEX_URL="{_with_token_env(feed.index)}"\n'
                f"pip install {PACKAGE_PLACEHOLDER}\n",
            )
        )
    return [
        Snippet(
            "pip.conf (Linux and macOS: ~/.config/pip/pip.conf, or $VIRTUAL_ENV/pip.conf)",
            "pip.conf",
            conf,
        ),
        Snippet("pip.ini (Windows: %APPDATA%\\pip\\pip.ini)", "pip.ini", conf),
        Snippet(
            "Credentials for one shell or CI job (sets PIP_INDEX_URL and uv's UV_DEFAULT_INDEX)",
            None,
            f'eval "$(quiver pip-authenticate {feed.ref})"\npip install {PACKAGE_PLACEHOLDER}\n',
        ),
        *with_token,
    ], [
        "pip asks for a username and password when the feed is private: any username, and a "
        f"personal access token as the password ({TOKEN_PLACEHOLDER}).",
        KEYRING_NOTE,
        CONFUSION_NOTE + " pip does: it takes the highest version from any index, so avoid "
        "extra-index-url for PyPI next to the feed.",
    ]


def _twine(feed: _Feed) -> tuple[list[Snippet], list[str]]:
    section = feed.name
    pypirc = (
        f"[distutils]\nindex-servers =\n    {section}\n\n"
        f"[{section}]\nrepository = {feed.upload}\nusername = {USERNAME}\n"
        f"password = {feed.secret}\n"
    )
    return [
        Snippet(".pypirc (in your home directory)", ".pypirc", pypirc),
        Snippet("Publish", None, f"twine upload -r {section} dist/*\n"),
    ], [
        "Publishing needs a token with the packaging:write scope and the contributor role on "
        "the feed.",
        "Leave out the password line and twine asks keyring (after 'quiver login', with "
        "quiver-keyring installed next to twine) or prompts. Keep tokens out of files you commit.",
        f"In CI, 'quiver twine-authenticate {feed.ref.split('@')[0]}' writes a temporary "
        f'.pypirc: twine upload -r {section} --config-file "$PYPIRC_PATH" dist/*',
    ]


def _uv(feed: _Feed) -> tuple[list[Snippet], list[str]]:
    name = source_name(feed.name)
    env = env_name(name)
    project = (
        f'[[tool.uv.index]]\nname = "{name}"\nurl = "{feed.index}"\n'
        f'publish-url = "{feed.upload}"\ndefault = true\n'
    )
    return [
        Snippet("pyproject.toml (the feed replaces PyPI)", "pyproject.toml", project),
        Snippet(
            "Credentials, then add a dependency or publish",
            None,
            f"export UV_INDEX_{env}_USERNAME={USERNAME}\n"
            f"export UV_INDEX_{env}_PASSWORD='{feed.secret}'\n"
            f"uv add {PACKAGE_PLACEHOLDER}\n"
            f"uv publish --index {name}\n",
        ),
        Snippet(
            "uv pip, for one shell or CI job",
            None,
            f'eval "$(quiver pip-authenticate {feed.ref})"\nuv pip install {PACKAGE_PLACEHOLDER}\n',
        ),
    ], [
        "default = true makes the feed the only index. uv takes each package from the first "
        "index that has it (index-strategy first-index), so a package on the feed is never "
        "taken from another index listed after it.",
        KEYRING_NOTE,
    ]


def _poetry(feed: _Feed) -> tuple[list[Snippet], list[str]]:
    name = source_name(feed.name)
    env = env_name(name)
    return [
        Snippet(
            "Add the feed as the project's source and install from it",
            None,
            f"poetry source add --priority=primary {name} {feed.index}\n"
            f"export POETRY_HTTP_BASIC_{env}_USERNAME={USERNAME}\n"
            f"export POETRY_HTTP_BASIC_{env}_PASSWORD='{feed.secret}'\n"
            f"poetry add {PACKAGE_PLACEHOLDER}\n",
        ),
        Snippet(
            "Publish (same credentials)",
            None,
            f"poetry config repositories.{name} {feed.upload}\npoetry publish --build -r {name}\n",
        ),
    ], [
        "With a primary source Poetry stops using PyPI, so private names cannot be taken from "
        "it. To mix in PyPI, add the feed with --priority=explicit and pin your private "
        f"packages to it (poetry add --source {name} ...): a supplemental or secondary source "
        "lets PyPI answer first (dependency confusion).",
        KEYRING_NOTE,
    ]


def _pdm(feed: _Feed) -> tuple[list[Snippet], list[str]]:
    project = (
        '[[tool.pdm.source]]\nname = "pypi"  # this name makes the feed replace PyPI\n'
        f'url = "{_with_token_env(feed.index)}"\n'
    )
    return [
        Snippet("pyproject.toml", "pyproject.toml", project),
        Snippet(
            "Install and publish (QUIVER_TOKEN holds your token)",
            None,
            f"export QUIVER_TOKEN='{feed.secret}'\n"
            f"pdm add {PACKAGE_PLACEHOLDER}\n"
            f'PDM_PUBLISH_USERNAME={USERNAME} PDM_PUBLISH_PASSWORD="$QUIVER_TOKEN" '
            f"pdm publish --repository {feed.upload}\n",
        ),
    ], [
        "pdm fills in ${QUIVER_TOKEN} from the environment, so the token never lands in "
        "pyproject.toml.",
        CONFUSION_NOTE,
    ]


def _requirements(feed: _Feed) -> tuple[list[Snippet], list[str]]:
    return [
        Snippet(
            "requirements.txt (first line)",
            "requirements.txt",
            f"--index-url {_with_token_env(feed.index)}\n{PACKAGE_PLACEHOLDER}\n",
        ),
        Snippet(
            "Install",
            None,
            f"export QUIVER_TOKEN='{feed.secret}'\npip install -r requirements.txt\n",
        ),
    ], [
        "pip and uv fill in ${QUIVER_TOKEN} from the environment when they read the file, so "
        "the token never lands in it.",
        CONFUSION_NOTE + " Use --index-url, not --extra-index-url.",
    ]


_RENDERERS = {
    "pip": _pip,
    "twine": _twine,
    "uv": _uv,
    "poetry": _poetry,
    "pdm": _pdm,
    "requirements": _requirements,
}
