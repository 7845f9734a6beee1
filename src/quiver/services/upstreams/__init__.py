"""Upstream sources of a feed: management (service.py, with specs.py and graph.py),
the read path's view (queries.py, listing.py), fetching (client.py, cache.py, remote.py)
and saving (save.py). Callers outside use service.py, records.py and models.py."""
