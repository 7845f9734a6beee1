"""Batch operations: promote, demote, yank, un-yank, delete, restore or purge many
versions in one call.

Each version goes through the same use case as a single call, in its own
transaction and with its own permission check, so one failure undoes nothing
else: the answer holds one result per version, in the order given. Only errors
of the whole request (an unknown operation, a bad list, a feed the caller cannot
read) fail the call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from quiver.domain.errors import Invalid, QuiverError
from quiver.domain.roles import Role
from quiver.domain.versions import BATCH_OPERATIONS, MAX_BATCH
from quiver.services.access import authorize
from quiver.services.context import Context
from quiver.services.packages import yank as yanking
from quiver.services.packages.records import Item, ItemResult
from quiver.services.records import FeedRef, Principal
from quiver.services.recycle import service as recycle
from quiver.services.views import service as views

WITH_VIEW = ("promote", "demote")
WITH_REASON = ("yank", "delete")

#: One version's use case: (ctx, principal, ref, name, version) -> anything.
Action = Callable[[Context, Principal, FeedRef, str, str], Awaitable[Any]]


async def run_batch(
    ctx: Context,
    principal: Principal,
    ref: FeedRef,
    operation: str,
    items: Sequence[Item],
    *,
    view: str | None = None,
    reason: str | None = None,
) -> list[ItemResult]:
    """Apply ``operation`` to each version in turn; one result per version, in order.

    Invalid for an unknown operation, a view missing (promote, demote) or given to
    another operation, a reason given to an operation other than yank and
    delete, or a list of no or more than ``MAX_BATCH`` versions. The caller must be
    able to read the feed (Unauthenticated / NotFound as usual); each version then
    needs the role its operation needs (a Forbidden in its result otherwise).
    """
    action = _action(operation, view, reason)
    if not 1 <= len(items) <= MAX_BATCH:
        raise Invalid(f"A batch holds 1 to {MAX_BATCH} versions; this one has {len(items)}.")
    await authorize(ctx, principal, FeedRef(ref.org, ref.project, ref.feed), Role.READER)
    return [await _one(ctx, principal, ref, action, item) for item in items]


async def _one(
    ctx: Context, principal: Principal, ref: FeedRef, action: Action, item: Item
) -> ItemResult:
    try:
        await action(ctx, principal, ref, item.name, item.version)
    except QuiverError as err:
        return ItemResult(item.name, item.version, err)
    return ItemResult(item.name, item.version)


def _action(operation: str, view: str | None, reason: str | None) -> Action:
    """The use case for ``operation``, with its view or reason bound."""
    op = operation.strip().lower()
    if op not in BATCH_OPERATIONS:
        raise Invalid(f"Unknown operation {operation!r}: use one of {', '.join(BATCH_OPERATIONS)}.")
    if op in WITH_VIEW and not (view and view.strip()):
        raise Invalid(f"Name the view to {op} the versions {'to' if op == 'promote' else 'from'}.")
    if op not in WITH_VIEW and view is not None:
        raise Invalid(f"A view applies only to promote and demote, not to {op}.")
    if op not in WITH_REASON and reason is not None:
        raise Invalid(f"A reason applies only to yank and delete, not to {op}.")
    return _bound(op, view.strip() if view else "", reason)


def _bound(op: str, view: str, reason: str | None) -> Action:
    async def promote(c: Context, p: Principal, r: FeedRef, name: str, version: str) -> Any:
        return await views.promote(c, p, r, name, version, view)

    async def demote(c: Context, p: Principal, r: FeedRef, name: str, version: str) -> Any:
        return await views.demote(c, p, r, name, version, view)

    async def yank(c: Context, p: Principal, r: FeedRef, name: str, version: str) -> Any:
        return await yanking.yank(c, p, r, name, version, reason)

    async def delete(c: Context, p: Principal, r: FeedRef, name: str, version: str) -> Any:
        return await recycle.delete_version(c, p, r, name, version, reason=reason)

    actions: dict[str, Action] = {
        "promote": promote,
        "demote": demote,
        "yank": yank,
        "unyank": yanking.unyank,
        "delete": delete,
        "restore": recycle.restore_version,
        "purge": recycle.purge_version,
    }
    return actions[op]


__all__ = ["run_batch"]
