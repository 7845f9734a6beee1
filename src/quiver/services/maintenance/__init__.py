"""Keeping the database and the blob store in step: fsck, backup and restore."""
