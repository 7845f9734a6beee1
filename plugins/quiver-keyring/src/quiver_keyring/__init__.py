"""Keyring backend for Quiver servers (see README.md)."""
