"""Feeds and the roles users hold on them."""
