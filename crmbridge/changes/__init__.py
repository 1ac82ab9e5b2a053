"""Change feeds (issue 20, docs/design.md §9): what changed in an object since a cursor.

``crm.changes("people", cursor=None, store="feeds.db")`` yields :class:`Change`\\ s; each carries
the cursor to resume right after it. See docs/sync.md.
"""

from __future__ import annotations

from .drive import AsyncChangeFeed, ChangeFeed
from .feeds import Feed, ScanFeed, WatermarkFeed, content_hash
from .model import KINDS, Change, ChangeKind
from .store import FeedStore, SQLiteFeedStore

__all__ = [
    "KINDS",
    "AsyncChangeFeed",
    "Change",
    "ChangeFeed",
    "ChangeKind",
    "Feed",
    "FeedStore",
    "SQLiteFeedStore",
    "ScanFeed",
    "WatermarkFeed",
    "content_hash",
]
