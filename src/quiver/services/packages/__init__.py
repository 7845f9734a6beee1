"""Packages, versions and files: publishing and listing."""
