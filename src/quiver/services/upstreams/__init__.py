"""Upstream sources of a feed: management (service.py) and fetching (client.py, cache.py)."""
