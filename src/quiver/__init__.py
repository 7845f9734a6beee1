"""Quiver: self-hosted private Python package feeds."""

__version__ = "0.1.0"
