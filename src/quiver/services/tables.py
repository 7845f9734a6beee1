"""Every table, imported so ``Base.metadata`` is complete (Alembic, checks)."""

from quiver.db.base import Base
from quiver.services.changes.models import FeedEvent
from quiver.services.feeds.models import Feed
from quiver.services.jobs.models import JobLease
from quiver.services.login.models import DeviceCode, WebSession
from quiver.services.orgs.models import Organization, OrgMember, Project
from quiver.services.packages.models import BlobClaim, File, FilenameRecord, Package, Version
from quiver.services.permissions.models import FeedRole
from quiver.services.tokens.models import Token, TokenFeed
from quiver.services.upstreams.models import Upstream
from quiver.services.users.models import User
from quiver.services.views.models import FeedView, ViewVersion

__all__ = [
    "Base",
    "BlobClaim",
    "DeviceCode",
    "Feed",
    "FeedEvent",
    "FeedRole",
    "FeedView",
    "File",
    "FilenameRecord",
    "JobLease",
    "OrgMember",
    "Organization",
    "Package",
    "Project",
    "Token",
    "TokenFeed",
    "Upstream",
    "User",
    "Version",
    "ViewVersion",
    "WebSession",
]
