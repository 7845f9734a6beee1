"""Feed roles, token scopes and how they combine into effective rights."""

from __future__ import annotations

import enum

from quiver.domain.errors import Invalid


class Role(enum.IntEnum):
    """Roles on a feed; each includes every right of the ones below it."""

    NONE = 0
    READER = 1
    COLLABORATOR = 2
    CONTRIBUTOR = 3
    OWNER = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            role = cls[text.strip().upper()]
        except KeyError:
            role = cls.NONE
        if role is cls.NONE:
            raise Invalid(f"Unknown role {text!r}: use reader, collaborator, contributor or owner.")
        return role


class Scope(enum.IntEnum):
    """Token scopes: ``packaging:read`` ⊂ ``packaging:write`` ⊂ ``packaging:manage``."""

    READ = 1
    WRITE = 2
    MANAGE = 3

    @property
    def label(self) -> str:
        return f"packaging:{self.name.lower()}"

    @classmethod
    def parse(cls, text: str) -> Scope:
        value = text.strip().lower().removeprefix("packaging:")
        try:
            return cls[value.upper()]
        except KeyError:
            raise Invalid(
                f"Unknown scope {text!r}: use packaging:read, packaging:write or packaging:manage."
            ) from None


#: Roles in an organization: members see it, owners manage it.
ORG_ROLES = ("member", "owner")


# The highest role a token of each scope can exercise. A read token installs,
# and installing is how a collaborator saves from upstreams, so read reaches
# collaborator; publishing needs write; managing the feed needs manage.
SCOPE_CEILING: dict[Scope, Role] = {
    Scope.READ: Role.COLLABORATOR,
    Scope.WRITE: Role.CONTRIBUTOR,
    Scope.MANAGE: Role.OWNER,
}


class Visibility(enum.StrEnum):
    """Who reads a feed without an explicit role."""

    PRIVATE = "private"
    ORGANIZATION = "organization"
    PUBLIC = "public"

    @classmethod
    def parse(cls, text: str) -> Visibility:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise Invalid(
                f"Unknown visibility {text!r}: use private, organization or public."
            ) from None


def effective_role(
    *,
    assigned: Role,
    visibility: Visibility,
    is_org_member: bool,
    is_admin: bool,
    authenticated: bool,
    scope: Scope | None,
) -> Role:
    """The role a caller exercises on a feed: the lesser of role and token scope.

    ``scope`` is None for callers who did not present a token (anonymous).
    """
    role = Role.OWNER if is_admin else assigned
    if visibility is Visibility.PUBLIC or (visibility is Visibility.ORGANIZATION and is_org_member):
        role = max(role, Role.READER)
    if not authenticated:
        return Role.READER if visibility is Visibility.PUBLIC else Role.NONE
    if scope is not None:
        role = min(role, SCOPE_CEILING[scope])
    return role
