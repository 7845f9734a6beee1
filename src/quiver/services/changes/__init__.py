"""The change feed and audit log of each feed."""
