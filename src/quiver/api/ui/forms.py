"""The forms of signed-in people: reading them safely, confirming, answering.

Every state-changing page action is a ``POST`` of a form that carries ``form_token``
(``page()`` puts it in every page; it is bound to the session cookie) and comes from this
site (``Origin``/``Referer``). ``form_action`` checks both, runs the action, and turns a
refusal or a ``QuiverError`` into the error page with the error's status. An action that
deletes or changes what installs see first answers ``confirm`` (a page repeating the
form's fields with ``confirmed=yes``), so nothing happens on a single stray click.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from quiver.api.deps import get_context
from quiver.api.ui.security import same_origin
from quiver.api.ui.web import SESSION_COOKIE, error_page, page, viewer, web_ui
from quiver.domain.errors import Forbidden, Invalid, QuiverError, Unauthenticated
from quiver.services.records import Principal

FIELD_MAX = 4096
FIELDS_MAX = 64


@dataclass(frozen=True)
class SignedForm:
    """A form a signed-in person sent from this site: who, and its fields (text, capped)."""

    principal: Principal
    fields: Mapping[str, str]

    def get(self, name: str, default: str = "") -> str:
        """The field ``name`` stripped of surrounding space, or ``default``."""
        return self.fields.get(name, default).strip()

    def getlist(self, name: str) -> list[str]:
        """Every value of a repeated field (checkboxes); empty when absent."""
        values = self.fields.get(f"{name}[]", "")
        return [value for value in values.split("\0") if value]

    @property
    def confirmed(self) -> bool:
        """Whether this is the second, confirming post of the form."""
        return self.fields.get("confirmed") == "yes"


async def signed_form(request: Request) -> SignedForm:
    """The posted form, once its sender is known and it is shown to come from this site.

    Raises Unauthenticated (no session) or Forbidden (another site, a missing or stale
    form token) or Invalid (too many fields).
    """
    principal = await viewer(request)
    if not principal.authenticated:
        raise Unauthenticated("Sign in to do this.")
    if not same_origin(request, get_context(request).settings.base_url):
        raise Forbidden("This form must be sent from this site.")
    form = await request.form(max_files=0, max_fields=FIELDS_MAX)
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        text = str(value)[:FIELD_MAX]
        # Repeated fields (checkboxes named "x[]") keep every value, joined by NUL.
        fields[key] = f"{fields[key]}\0{text}" if key in fields and key.endswith("[]") else text
    secret = request.cookies.get(SESSION_COOKIE)
    if not web_ui(request).guard.check(secret, fields.get("form_token")):
        raise Forbidden("This form has expired or was not sent from this site: reload the page.")
    return SignedForm(principal, fields)


async def form_action(
    request: Request, action: Callable[[SignedForm], Awaitable[Response]]
) -> Response:
    """Check the form (``signed_form``), then run ``action``; any QuiverError becomes the
    error page with its status and sentence."""
    principal: Principal | None = None
    try:
        form = await signed_form(request)
        principal = form.principal
        return await action(form)
    except QuiverError as err:
        return error_page(request, principal or await viewer(request), err)


def confirm(
    request: Request,
    form: SignedForm,
    *,
    question: str,
    detail: str | None = None,
    button: str,
    back: str,
    danger: bool = False,
) -> HTMLResponse:
    """A page asking ``question``; its form posts the same fields again with
    ``confirmed=yes`` to the same URL, or goes ``back``."""
    fields = {
        key: value
        for key, value in form.fields.items()
        if key not in ("form_token", "confirmed") and not key.endswith("[]")
    }
    lists = {key: value.split("\0") for key, value in form.fields.items() if key.endswith("[]")}
    context = {
        "question": question,
        "detail": detail,
        "button": button,
        "back": back,
        "danger": danger,
        "fields": fields,
        "lists": lists,
        "action": request.url.path,
    }
    return page(request, "confirm.html", form.principal, context)


def require(condition: bool, message: str) -> None:
    """Raise Invalid(``message``) unless ``condition``: a form field is missing or wrong."""
    if not condition:
        raise Invalid(message)
