"""Users and personal access tokens."""
