"""Retention policies: a feed's rules for sending old, unused versions to the recycle bin."""
