"""Upstream sources of a feed: management (service.py, with specs.py and graph.py),
the read path's view (reading.py) and fetching (client.py, cache.py)."""
