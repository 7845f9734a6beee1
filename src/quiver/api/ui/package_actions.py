"""A package version's actions from its page: promote, demote, yank, un-yank, delete.

Each is a ``POST`` of a signed form to ``…/package/{name}/v/{version}/{action}`` (under
``/{org}`` and ``/{org}/{project}``). The first post answers a confirmation page; the
confirmed one calls the service the REST API calls (``views.promote``/``demote``,
``packages.yank``/``unyank``, ``recycle.delete_version``) with the signed-in person,
so the service's rules decide who may (a reader gets its 403), then redirects back to
the version's page with a sentence of what happened.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from quiver.api.deps import get_context
from quiver.api.ui.forms import SignedForm, confirm, form_action, require
from quiver.api.ui.package_pages import VERSION, package_path, page_ref
from quiver.api.ui.web import feed_path, redirect
from quiver.domain.errors import NotFound
from quiver.domain.versions import clean_reason
from quiver.services.packages import service as packages
from quiver.services.records import FeedRef
from quiver.services.recycle import service as recycle
from quiver.services.views import service as views

router = APIRouter(include_in_schema=False)


def _ask(
    request: Request,
    form: SignedForm,
    back: str,
    question: str,
    detail: str,
    button: str,
    *,
    danger: bool = False,
) -> Response:
    """The confirmation page of an action; Cancel goes back to the version's page."""
    return confirm(
        request, form, question=question, detail=detail, button=button, back=back, danger=danger
    )


def _view(form: SignedForm) -> str:
    view = form.get("view")
    require(view != "", "Choose a view.")
    return view


@router.post(VERSION + "/promote")
async def promote(request: Request, name: str, version: str) -> Response:
    """Promote the version to the form's ``view`` (contributors)."""

    async def act(form: SignedForm) -> Response:
        ref, view = page_ref(request), _view(form)
        back = package_path(ref, name, version)
        if not form.confirmed:
            question = f"Promote {name} {version} to @{view}?"
            detail = f"Installers reading the view @{view} will see this version."
            return _ask(request, form, back, question, detail, "Promote")
        ctx = get_context(request)
        done = await views.promote(ctx, form.principal, ref, name, version, view)
        message = f"{done.name} {done.version} is in @{done.view} now."
        return redirect(request, package_path(ref, done.name, done.version), message)

    return await form_action(request, act)


@router.post(VERSION + "/demote")
async def demote(request: Request, name: str, version: str) -> Response:
    """Take the version out of the form's ``view`` (owners)."""

    async def act(form: SignedForm) -> Response:
        ref, view = page_ref(request), _view(form)
        back = package_path(ref, name, version)
        if not form.confirmed:
            question = f"Take {name} {version} out of @{view}?"
            detail = f"Installers reading the view @{view} will no longer see it."
            return _ask(request, form, back, question, detail, "Demote")
        ctx = get_context(request)
        done = await views.demote(ctx, form.principal, ref, name, version, view)
        message = f"{done.name} {done.version} is out of @{done.view}."
        return redirect(request, package_path(ref, done.name, done.version), message)

    return await form_action(request, act)


@router.post(VERSION + "/yank")
async def yank(request: Request, name: str, version: str) -> Response:
    """Yank the version with the form's optional ``reason`` (contributors)."""

    async def act(form: SignedForm) -> Response:
        ref = page_ref(request)
        reason = clean_reason(form.get("reason"))  # Invalid (400) before asking when too long
        back = package_path(ref, name, version)
        if not form.confirmed:
            question = f"Yank {name} {version}?"
            detail = "Installers will skip it unless a requirement pins this exact version."
            return _ask(request, form, back, question, detail, "Yank", danger=True)
        ctx = get_context(request)
        state = await packages.yank(ctx, form.principal, ref, name, version, reason)
        message = f"{state.name} {state.version} is yanked; installers skip it unless pinned."
        return redirect(request, package_path(ref, state.name, state.version), message)

    return await form_action(request, act)


@router.post(VERSION + "/unyank")
async def unyank(request: Request, name: str, version: str) -> Response:
    """Make the version installable again (contributors)."""

    async def act(form: SignedForm) -> Response:
        ref = page_ref(request)
        back = package_path(ref, name, version)
        if not form.confirmed:
            question = f"Un-yank {name} {version}?"
            detail = "Installers will pick it again like any other version."
            return _ask(request, form, back, question, detail, "Un-yank")
        ctx = get_context(request)
        state = await packages.unyank(ctx, form.principal, ref, name, version)
        message = f"{state.name} {state.version} is installable again."
        return redirect(request, package_path(ref, state.name, state.version), message)

    return await form_action(request, act)


@router.post(VERSION + "/delete")
async def delete(request: Request, name: str, version: str) -> Response:
    """Move the version to the feed's recycle bin (owners); back to the package's page,
    or to the feed's when no version of it is left."""

    async def act(form: SignedForm) -> Response:
        ref = page_ref(request)
        back = package_path(ref, name, version)
        if not form.confirmed:
            question = f"Delete {name} {version}?"
            detail = (
                "It moves to the feed's recycle bin and leaves every index, view and download "
                "until an owner restores it."
            )
            return _ask(request, form, back, question, detail, "Delete", danger=True)
        ctx = get_context(request)
        gone = await recycle.delete_version(ctx, form.principal, ref, name, version)
        message = (
            f"{gone.package} {gone.version} is in the recycle bin; it can be restored until "
            f"{gone.purge_after:%Y-%m-%d}."
        )
        return redirect(request, await _after_delete(request, form, ref, gone.package), message)

    return await form_action(request, act)


async def _after_delete(request: Request, form: SignedForm, ref: FeedRef, name: str) -> str:
    """The package's page while a version of it is left, else the feed's page."""
    try:
        await packages.list_versions(get_context(request), form.principal, ref, name)
    except NotFound:
        return feed_path(ref.org, ref.project, ref.feed)
    return package_path(ref, name)
