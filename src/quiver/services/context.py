"""What every use case needs, built once by ``create_app`` and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from quiver.blobs import BlobStore
from quiver.db.engine import SessionFactory
from quiver.services.caches import LRU, AccessCache, PageCache
from quiver.services.index.downloads import DownloadBuffer
from quiver.services.upstreams.cache import UpstreamCache
from quiver.services.upstreams.client import UpstreamClient
from quiver.settings import Settings

if TYPE_CHECKING:
    from quiver.services.records import LocalPackage


@dataclass
class Context:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    blobs: BlobStore
    access: AccessCache = field(default_factory=AccessCache)
    pages: PageCache = field(default_factory=PageCache)
    # a feed's own state per name (LocalPackage), keyed by the feed's serial
    listings: LRU[LocalPackage] = field(default_factory=lambda: LRU(8192))
    # token ids used since the last flush; written off the request path
    token_usage: set[int] = field(default_factory=set)
    # downloads counted since the last flush; written off the request path
    downloads: DownloadBuffer = field(default_factory=DownloadBuffer)
    # upstream fetching: one HTTP client for all upstreams, and their page cache;
    # created by the app's lifespan (None in contexts that never fetch, e.g. the CLI)
    http: httpx.AsyncClient | None = None
    upstreams: UpstreamCache | None = None
    fetcher: UpstreamClient | None = None
