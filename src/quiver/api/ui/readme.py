"""A package's README as safe HTML: Markdown (markdown-it), reStructuredText (docutils)
or plain text, each cleaned by readme_renderer's nh3 allow-list. The result is the only
HTML of a page that comes from metadata; everything else is escaped by the templates."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup
from readme_renderer import rst, txt
from readme_renderer.clean import clean

README_MAX = 512 * 1024  # characters rendered; the rest is cut (a page, not an archive)
_MARKDOWN = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def render_readme(text: str | None, content_type: str | None) -> Markup | None:
    """The README ``text`` of ``content_type`` (Description-Content-Type) as sanitized HTML;
    None when there is no text. reStructuredText that does not render (errors, raw
    directives) falls back to plain text."""
    if not text or not text.strip():
        return None
    text = text[:README_MAX]
    kind = (content_type or "text/x-rst").split(";")[0].strip().lower()
    html: str | None = None
    if kind == "text/markdown":
        html = clean(_MARKDOWN.render(text))
    elif kind == "text/x-rst":
        html = rst.render(text)
    if html is None:
        html = txt.render(text)
    # Sanitized above by nh3 (readme_renderer.clean): the one place a page marks HTML safe.
    return Markup(html) if html else None  # noqa: S704
